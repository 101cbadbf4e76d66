# Save-DyplsRecording while it runs and when it stops: -WhatIf, a pipeline stopped mid-run, the rows in flight
# (-ThrottleLimit), the progress bar and -Verbose. Against the built module and a real emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-stopping-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
    $script:OkStatus = @('Downloaded', 'Resumed', 'Skipped')

    function Reset-Emulator { Reset-DyplsEmulatorStats $script:Emu }
    function Get-Stats { Get-DyplsEmulatorStats $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting $script:Emu $Settings }
    function Get-ExpectedMd5([string] $CallId) { Get-DyplsExpectedMd5 $script:Emu $CallId }
    function Get-FileMd5([string] $Path) { Get-DyplsFileMd5 $Path }
    function New-Dest { Join-Path $script:Root ([guid]::NewGuid().ToString('N')) }
    # Rows with the receipt's column names (call_id, call_time, pool_key).
    function New-Rows([string[]] $Ids) { $Ids | ForEach-Object { [pscustomobject]@{ call_id = $_; call_time = $script:Now; pool_key = 'FC100001' } } }
    # Files at final names (not our .dypls-partial working files).
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*.dypls-*' }) }
}

AfterAll {
    # $PSDefaultParameterValues is global: leave nothing behind for the next test file.
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Stopping and -WhatIf' {
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

Describe 'Rows in flight, progress and verbose output' {
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
