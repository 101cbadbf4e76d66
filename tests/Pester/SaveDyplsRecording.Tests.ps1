# Save-DyplsRecording against the built module and a real emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-save-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $PSDefaultParameterValues['Save-DyplsRecording:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['Save-DyplsRecording:Credential'] = $script:Cred
    $PSDefaultParameterValues['Get-DyplsRecordUrl:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['Get-DyplsRecordUrl:Credential'] = $script:Cred

    function Reset-Emulator { $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset') }
    function Get-Stats { Invoke-RestMethod -Uri ($script:Endpoint + '_emulator/stats') }
    function Set-EmulatorSetting([hashtable] $Settings) {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/settings') -ContentType 'application/json' -Body ($Settings | ConvertTo-Json)
    }
    function New-Dest { $d = Join-Path $script:Root ([guid]::NewGuid().ToString('N')); $d }
    function New-Rows([string[]] $Ids) { $Ids | ForEach-Object { [pscustomobject]@{ call_id = $_; call_time = $script:Now; pool_key = 'FC100001' } } }
    # MD5 of what the emulator serves for a CallId.
    function Get-ExpectedMd5([string] $CallId) {
        $bytes = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=' + [uri]::EscapeDataString($CallId))).Content
        [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant()
    }
    function Get-FileMd5([string] $Path) { (Get-FileHash -Algorithm MD5 -LiteralPath $Path).Hash.ToLowerInvariant() }
    # Files at final names (not our .dypls-partial working files).
    function Get-FinalFiles([string] $Dir) { Get-ChildItem -LiteralPath $Dir -File -Recurse -Force | Where-Object { $_.Name -notlike '.*.dypls-*' } }
}

AfterAll {
    # $PSDefaultParameterValues is global: leave nothing behind for the next test file.
    foreach ($k in 'Save-DyplsRecording:Endpoint', 'Save-DyplsRecording:Credential', 'Get-DyplsRecordUrl:Endpoint', 'Get-DyplsRecordUrl:Credential') { $PSDefaultParameterValues.Remove($k) }
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Import-Csv | Save-DyplsRecording' {
    BeforeAll {
        Reset-Emulator
        $script:BulkDest = New-Dest
        $script:BulkCsv = Join-Path $script:Root 'bulk.csv'
        New-Rows (1..500 | ForEach-Object { 'bulk-{0:D4}' -f $_ }) | Export-Csv $script:BulkCsv -NoTypeInformation
        $script:Bulk = Import-Csv $script:BulkCsv | Save-DyplsRecording -Destination $script:BulkDest
        $script:BulkStats = Get-Stats
    }

    It 'saves 500 rows as 500 files, byte-exact with what the emulator served' {
        $script:Bulk.Count | Should -Be 500
        ($script:Bulk | Where-Object Status -ne 'Downloaded') | Should -BeNullOrEmpty
        $files = Get-FinalFiles $script:BulkDest
        $files.Count | Should -Be 500
        foreach ($r in $script:Bulk) {
            $r.Path | Should -Be (Join-Path $script:BulkDest ($r.CallId + '.mp3'))
            Get-FileMd5 $r.Path | Should -Be (Get-ExpectedMd5 $r.CallId)
            $r.Md5 | Should -Be (Get-FileMd5 $r.Path)
            $r.Length | Should -Be 65536
        }
        Get-ChildItem -LiteralPath $script:BulkDest -Force -Filter '.*.dypls-*' | Should -BeNullOrEmpty
        $script:BulkStats.apiRequests | Should -Be 500
        $script:BulkStats.downloadRequests | Should -Be 500
    }

    It 'keeps input order and exports cleanly as an audit log' {
        $script:Bulk.CallId | Should -Be (Import-Csv $script:BulkCsv).call_id
        $audit = Join-Path $script:Root 'audit.csv'
        $script:Bulk | Export-Csv $audit -NoTypeInformation
        $back = Import-Csv $audit
        $back.Count | Should -Be 500
        $back[0].PSObject.Properties.Name | Should -Contain 'Status'
        $back[0].PSObject.Properties.Name | Should -Contain 'Path'
        $back[0].Status | Should -Be 'Downloaded'
    }

    It 're-running skips every file and makes no API call' {
        Reset-Emulator
        $again = Import-Csv $script:BulkCsv | Save-DyplsRecording -Destination $script:BulkDest
        $again.Count | Should -Be 500
        ($again | Where-Object Status -ne 'Skipped') | Should -BeNullOrEmpty
        $s = Get-Stats
        $s.apiRequests | Should -Be 0
        $s.downloadRequests | Should -Be 0
    }

    It '-Force overwrites' {
        $victim = Join-Path $script:BulkDest 'bulk-0007.mp3'
        [IO.File]::WriteAllText($victim, 'not a recording')
        Reset-Emulator
        $r = Import-Csv $script:BulkCsv | Select-Object -First 10 | Save-DyplsRecording -Destination $script:BulkDest -Force
        ($r | Where-Object Status -ne 'Downloaded') | Should -BeNullOrEmpty
        (Get-Stats).downloadRequests | Should -Be 10
        Get-FileMd5 $victim | Should -Be (Get-ExpectedMd5 'bulk-0007')
    }
}

Describe 'Resuming and refreshing' {
    It 'resumes a download cut in the middle with a Range request' {
        $dest = New-Dest
        Reset-Emulator
        Set-EmulatorSetting @{ cutDownloads = 1; cutDownloadsAtBytes = 20000 }
        try { $r = New-Rows 'cut-1' | Save-DyplsRecording -Destination $dest }
        finally { Set-EmulatorSetting @{ cutDownloads = 0 } }
        $r.Status | Should -Be 'Resumed'
        $r.Attempts | Should -Be 2
        $s = Get-Stats
        $s.cutDownloads | Should -Be 1
        $s.rangeRequests | Should -Be 1
        Get-FileMd5 $r.Path | Should -Be (Get-ExpectedMd5 'cut-1')
    }

    It 'resumes on a later run from the partial file an earlier run left' {
        $dest = New-Dest
        Reset-Emulator
        Set-EmulatorSetting @{ cutDownloads = 100; cutDownloadsAtBytes = 30000 }
        $errs = $null
        try { $first = New-Rows 'cut-2' | Save-DyplsRecording -Destination $dest -MaxAttempts 1 -ErrorAction SilentlyContinue -ErrorVariable errs }
        finally { Set-EmulatorSetting @{ cutDownloads = 0 } }
        $first | Should -BeNullOrEmpty
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DownloadInterrupted,*'
        $errs[0].Exception.Message | Should -Match 'run the same command again'
        Get-FinalFiles $dest | Should -BeNullOrEmpty
        (Get-ChildItem -LiteralPath $dest -Force -Filter '.cut-2.dypls-partial').Length | Should -Be 30000

        Reset-Emulator
        $second = New-Rows 'cut-2' | Save-DyplsRecording -Destination $dest
        $second.Status | Should -Be 'Resumed'
        (Get-Stats).rangeRequests | Should -Be 1
        (Get-Stats).downloadBytes | Should -Be (65536 - 30000)
        Get-FileMd5 $second.Path | Should -Be (Get-ExpectedMd5 'cut-2')
        Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-*' | Should -BeNullOrEmpty
    }

    It 'gets a fresh URL when a given one has expired' {
        $dest = New-Dest
        Set-EmulatorSetting @{ urlTtlSeconds = 1 }
        try { $urls = New-Rows 'exp-1', 'exp-2' | Get-DyplsRecordUrl }
        finally { Set-EmulatorSetting @{ urlTtlSeconds = 7200 } }
        Start-Sleep -Seconds 2
        Reset-Emulator
        $r = $urls | Save-DyplsRecording -Destination $dest
        $r.Status | Should -Be @('Downloaded', 'Downloaded')
        $r.ApiCalls | Should -Be @(1, 1)
        (Get-Stats).expiredDownloads | Should -Be 0   # refreshed before use, not after a 403
        Get-FileMd5 $r[0].Path | Should -Be (Get-ExpectedMd5 'exp-1')
    }

    It 'gets a fresh URL when the download server says the URL has expired' {
        $dest = New-Dest
        Set-EmulatorSetting @{ urlTtlSeconds = 1 }
        try { $u = New-Rows 'exp-3' | Get-DyplsRecordUrl }
        finally { Set-EmulatorSetting @{ urlTtlSeconds = 7200 } }
        Start-Sleep -Seconds 2
        # A row that claims its URL is still good (a skewed clock, say): the server's 403 decides.
        $row = [pscustomobject]@{ CallId = $u.CallId; CallTime = $u.CallTime; PoolKey = $u.PoolKey; Url = $u.Url; ExpiresAt = [DateTimeOffset]::UtcNow.AddHours(1) }
        Reset-Emulator
        $r = $row | Save-DyplsRecording -Destination $dest
        $r.Status | Should -Be 'Downloaded'
        $r.ApiCalls | Should -Be 1
        (Get-Stats).expiredDownloads | Should -Be 1
    }

    It 'reuses Get-DyplsRecordUrl output without asking for new URLs' {
        $dest = New-Dest
        $urls = New-Rows 'pipe-1', 'pipe-2', 'pipe-3' | Get-DyplsRecordUrl
        Reset-Emulator
        $r = $urls | Save-DyplsRecording -Destination $dest
        $r.Status | Should -Be @('Downloaded', 'Downloaded', 'Downloaded')
        $r.ApiCalls | Should -Be @(0, 0, 0)
        (Get-Stats).apiRequests | Should -Be 0
        foreach ($x in $r) { Get-FileMd5 $x.Path | Should -Be (Get-ExpectedMd5 $x.CallId) }
    }
}

Describe 'File names and safety' {
    It 'keeps traversal-shaped and reserved-name CallIds inside the destination' {
        $dest = New-Dest
        $ids = @('../../escape', '..\..\escape2', '/etc/passwd', 'CON', 'nul.txt', 'COM1', 'a:b', 'end. ', '..', 'x*y?z', 'LPT9.mp3', 'a<b>c|d')
        $errs = $null
        $r = New-Rows ($ids + "tab`tin") | Save-DyplsRecording -Destination $dest -ErrorAction SilentlyContinue -ErrorVariable errs
        $r.Count | Should -Be $ids.Count
        # A control character means a broken CSV: a clear error for that row, nothing asked or written.
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCallId,*'
        $full = (Resolve-Path $dest).Path
        foreach ($x in $r) {
            $x.Path | Should -BeLike "$full$([IO.Path]::DirectorySeparatorChar)*"
            Split-Path $x.Path -Parent | Should -Be $full
            $leaf = Split-Path $x.Path -Leaf
            $leaf | Should -Not -Match '[<>:"|?*\\/]'
            ($leaf -split '\.')[0] | Should -Not -BeIn @('CON', 'NUL', 'COM1', 'LPT9')
            Get-FileMd5 $x.Path | Should -Be (Get-ExpectedMd5 $x.CallId)
        }
        @($r.Path | Sort-Object -Unique).Count | Should -Be $ids.Count
        Get-ChildItem -LiteralPath (Split-Path $full) -File | Where-Object Name -like 'escape*' | Should -BeNullOrEmpty
    }

    It 'downloads duplicate rows once and reports each row' {
        $dest = New-Dest
        Reset-Emulator
        $r = New-Rows 'dup-1', 'dup-2', 'dup-1', 'dup-1', 'dup-2' | Save-DyplsRecording -Destination $dest
        $r.CallId | Should -Be @('dup-1', 'dup-2', 'dup-1', 'dup-1', 'dup-2')
        $r.Status | Should -Be @('Downloaded', 'Downloaded', 'Skipped', 'Skipped', 'Skipped')
        $s = Get-Stats
        $s.apiRequests | Should -Be 2
        $s.downloadRequests | Should -Be 2
    }

    It 'builds folders from a file name template' {
        $dest = New-Dest
        $r = New-Rows 'tpl-1' | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{CallDate}/{CallId}'
        $date = $script:Now.Substring(0, 10)
        $r.Path | Should -Be (Join-Path $dest "FC100001/$date/tpl-1.mp3")
        { New-Rows 'tpl-2' | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{Oops}' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFileNameTemplate,*'
        { New-Rows 'tpl-3' | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFileNameTemplate,*'
    }

    It 'resolves ~, relative paths and PSDrives' {
        $dest = New-Dest
        $null = New-Item -ItemType Directory $dest
        $null = New-PSDrive -Name DyplsTest -PSProvider FileSystem -Root $dest -Scope Global
        try {
            $r = New-Rows 'drive-1' | Save-DyplsRecording -Destination 'DyplsTest:\sub'
            $r.Path | Should -Be (Join-Path $dest 'sub/drive-1.mp3')
            Push-Location $dest
            try { $r2 = New-Rows 'rel-1' | Save-DyplsRecording -Destination 'rel' } finally { Pop-Location }
            $r2.Path | Should -Be (Join-Path $dest 'rel/rel-1.mp3')
            Push-Location $dest
            try { $r3 = New-Rows 'cwd-1' | Save-DyplsRecording } finally { Pop-Location }
            $r3.Path | Should -Be (Join-Path $dest 'cwd-1.mp3')
        }
        finally { Remove-PSDrive DyplsTest }
    }

    It 'refuses a file where the destination folder should be' {
        $file = Join-Path $script:Root 'a-file.txt'
        'x' | Set-Content $file
        { New-Rows 'f-1' | Save-DyplsRecording -Destination $file -ErrorAction Stop } | Should -Throw -ErrorId 'DestinationNotAFolder,*'
    }

    It 'gives the "not available" row a clear error and saves the others' {
        $dest = New-Dest
        $errs = $null
        $r = New-Rows 'ok-1', 'norecord-1', 'ok-2' | Save-DyplsRecording -Destination $dest -ErrorAction SilentlyContinue -ErrorVariable errs
        $r.CallId | Should -Be @('ok-1', 'ok-2')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'RecordingNotAvailable,*'
        $errs[0].TargetObject.call_id | Should -Be 'norecord-1'
        $errs[0].Exception.Message | Should -Match 'retention'
    }
}

Describe 'Concurrency, progress and verbose output' {
    It 'keeps at most -ThrottleLimit downloads (and as many API calls) in flight' {
        $dest = New-Dest
        Set-EmulatorSetting @{ downloadLatencyMs = 100 }
        try {
            Reset-Emulator
            $r = New-Rows (1..24 | ForEach-Object { "conc-$_" }) | Save-DyplsRecording -Destination $dest -ThrottleLimit 3
        }
        finally { Set-EmulatorSetting @{ downloadLatencyMs = 0 } }
        $r.Count | Should -Be 24
        $stats = Get-Stats
        $stats.maxConcurrentDownloads | Should -BeLessOrEqual 3
        $stats.maxConcurrentDownloads | Should -BeGreaterOrEqual 2
        # Plus URLs fetched ahead: at most 3 API calls at once, plus the stats request itself.
        $stats.maxConcurrentRequests | Should -BeLessOrEqual 7
    }

    It 'writes one aggregate progress bar, rarely, from the pipeline thread, and honours -ProgressAction' {
        $dest = New-Dest
        Set-EmulatorSetting @{ downloadLatencyMs = 20 }
        try {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($Module, $Endpoint, $Id, $Secret, $Now, $Dest)
                    Import-Module $Module
                    $ProgressPreference = 'Continue'
                    $cred = [pscredential]::new($Id, (ConvertTo-SecureString $Secret -AsPlainText -Force))
                    $rows = 1..200 | ForEach-Object { [pscustomobject]@{ CallId = "prog-$_"; CallTime = $Now; PoolKey = 'FC1' } }
                    $null = $rows | Save-DyplsRecording -Destination $Dest -Endpoint $Endpoint -Credential $cred -ThrottleLimit 4
                    $null = $rows | Save-DyplsRecording -Destination ($Dest + '-quiet') -Endpoint $Endpoint -Credential $cred -ProgressAction SilentlyContinue
                }).AddParameters(@{ Module = (Get-DyplsModulePath); Endpoint = $script:Endpoint; Id = $script:Cred.UserName; Secret = $script:Cred.GetNetworkCredential().Password; Now = $script:Now; Dest = $dest })
            $sw = [Diagnostics.Stopwatch]::StartNew()
            $null = $ps.Invoke()
            $seconds = $sw.Elapsed.TotalSeconds
            $ps.HadErrors | Should -BeFalse
            $progress = @($ps.Streams.Progress)
            $ps.Dispose()
        }
        finally { Set-EmulatorSetting @{ downloadLatencyMs = 0 } }
        $progress.Count | Should -BeGreaterThan 1
        @($progress.ActivityId | Sort-Object -Unique).Count | Should -Be 1      # one bar, and nothing from the quiet run
        $progress[-1].RecordType | Should -Be 'Completed'
        $progress.Count | Should -BeLessOrEqual ([math]::Ceiling($seconds * 4) + 3)
        ($progress | Where-Object RecordType -ne 'Completed')[-1].StatusDescription | Should -Match 'of 200 done'
    }

    It '-Verbose shows each step with the URL signature redacted' {
        $dest = New-Dest
        $urls = New-Rows 'verb-1' | Get-DyplsRecordUrl
        $sig = [regex]::Match($urls.Url, 'Signature=([^&]+)').Groups[1].Value
        $sig | Should -Not -BeNullOrEmpty
        $all = New-Rows 'verb-1', 'verb-2' | Save-DyplsRecording -Destination $dest -Verbose -Debug 4>&1 5>&1
        $text = ($all | Where-Object { $_ -is [System.Management.Automation.InformationalRecord] } | ForEach-Object Message) -join "`n"
        $text | Should -Match "verb-1': querying the download URL"
        $text | Should -Match "verb-1': saved 65536 bytes"
        $text | Should -Match 'Signature=\*\*\*'
        $text | Should -Not -Match ([regex]::Escape($sig))
        $text | Should -Not -Match ([regex]::Escape($script:Cred.GetNetworkCredential().Password))
    }
}

Describe '-WhatIf and stopping' {
    It '-WhatIf makes no API call and writes nothing' {
        $dest = New-Dest
        Reset-Emulator
        $r = New-Rows 'wi-1', 'wi-2' | Save-DyplsRecording -Destination $dest -WhatIf
        $r | Should -BeNullOrEmpty
        Test-Path $dest | Should -BeFalse
        (Get-Stats).apiRequests | Should -Be 0
    }

    It 'leaves no partial file at any final name when the pipeline is stopped mid-run' {
        $dest = New-Dest
        Set-EmulatorSetting @{ recordingSize = 2MB; downloadLatencyMs = 50 }
        try {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($Module, $Endpoint, $Id, $Secret, $Now, $Dest)
                    Import-Module $Module
                    $cred = [pscredential]::new($Id, (ConvertTo-SecureString $Secret -AsPlainText -Force))
                    1..300 | ForEach-Object { [pscustomobject]@{ CallId = "stop-$_"; CallTime = $Now; PoolKey = 'FC1' } } |
                        Save-DyplsRecording -Destination $Dest -Endpoint $Endpoint -Credential $cred -ThrottleLimit 4
                }).AddParameters(@{ Module = (Get-DyplsModulePath); Endpoint = $script:Endpoint; Id = $script:Cred.UserName; Secret = $script:Cred.GetNetworkCredential().Password; Now = $script:Now; Dest = $dest })
            $async = $ps.BeginInvoke()
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ([DateTime]::UtcNow -lt $deadline -and @(Get-ChildItem -LiteralPath $dest -File -ErrorAction SilentlyContinue).Count -lt 3) { Start-Sleep -Milliseconds 20 }
            $ps.Stop()
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $ps.Dispose()
            $final = @(Get-FinalFiles $dest)
            $final.Count | Should -BeGreaterThan 0
            $final.Count | Should -BeLessThan 300
            # Every file at a final name is whole and byte-exact; unfinished work is only in .dypls-partial files.
            foreach ($f in $final) {
                $f.Length | Should -Be 2MB
                Get-FileMd5 $f.FullName | Should -Be (Get-ExpectedMd5 ([IO.Path]::GetFileNameWithoutExtension($f.Name)))
            }
        }
        finally { Set-EmulatorSetting @{ recordingSize = 65536; downloadLatencyMs = 0 } }
    }
}
