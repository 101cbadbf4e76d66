# Robustness proven by breaking things on purpose: bad input, killed processes, unwritable folders,
# wrong secrets, and a search of every stream and the transcript for secrets.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    # The corpus has fixed dates: keep them inside the emulator's retention window for good.
    $script:Emu = Start-DyplsEmulator -ArgumentList '--retention-days', '36500'
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-rel-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $script:Data = Join-Path $PSScriptRoot 'data'
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
    function Reset-Emulator { $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset') }
    function Get-Stats { Invoke-RestMethod -Uri ($script:Endpoint + '_emulator/stats') }
    function Set-EmulatorSetting([hashtable] $Settings) {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/settings') -ContentType 'application/json' -Body ($Settings | ConvertTo-Json)
    }
    function New-Dest { Join-Path $script:Root ([guid]::NewGuid().ToString('N')) }
    function Get-ExpectedMd5([string] $CallId) {
        $bytes = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=' + [uri]::EscapeDataString($CallId))).Content
        [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant()
    }
    function Get-FileMd5([string] $Path) { (Get-FileHash -Algorithm MD5 -LiteralPath $Path).Hash.ToLowerInvariant() }
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*.dypls-*' }) }
    $script:KnownErrorIds = @('MissingCallId', 'InvalidCallId', 'MissingPoolKey', 'InvalidPoolKey', 'InvalidCallTime', 'InputObjectMissingMandatory')

    # Runs rows through a cmdlet and checks: one error per bad row with its expected id and the row as
    # TargetObject, one result per good row, and no unhandled .NET exception.
    function Assert-Corpus($Rows, [scriptblock] $Run) {
        $all = & $Run $Rows -ErrorAction Continue 2>&1
        $errs = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] })
        $good = @($Rows | Where-Object Expect -eq 'ok')
        $bad = @($Rows | Where-Object Expect -ne 'ok')
        @($out).Count | Should -Be $good.Count
        @($out.CallId) | Should -Be @($good.CallId)
        @($errs).Count | Should -Be $bad.Count
        foreach ($e in $errs) {
            $e | Should -BeOfType System.Management.Automation.ErrorRecord
            $id = ($e.FullyQualifiedErrorId -split ',')[0]
            $id | Should -BeIn $script:KnownErrorIds
            $e.TargetObject | Should -Not -BeNullOrEmpty
            [object]::ReferenceEquals($e.TargetObject, ($Rows | Where-Object { [object]::ReferenceEquals($_, $e.TargetObject) })) | Should -BeTrue
            $id | Should -Be $e.TargetObject.Expect
            $e.Exception.Message | Should -Not -BeNullOrEmpty
        }
    }
}

AfterAll {
    # $PSDefaultParameterValues is global: leave nothing behind for the next test file.
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'The bad input corpus' {
    It 'a UTF-8 CSV with a BOM: every bad row one clear error, every good row done (<_>)' -ForEach @('Get-DyplsRecordUrl', 'Save-DyplsRecording') {
        $cmd = $_
        $rows = Import-Csv (Join-Path $script:Data 'bad-input.csv')
        $rows[0].PSObject.Properties.Name[0] | Should -Be 'CallId'   # the BOM is not part of the first header
        $dest = New-Dest
        Assert-Corpus $rows { param($r) if ($cmd -eq 'Save-DyplsRecording') { $r | Save-DyplsRecording -Destination $dest @args } else { $r | Get-DyplsRecordUrl @args } }
    }

    It 'the same corpus as UTF-16' {
        $rows = Import-Csv (Join-Path $script:Data 'bad-input.utf16.csv')
        $rows.Count | Should -Be (Import-Csv (Join-Path $script:Data 'bad-input.csv')).Count
        Assert-Corpus $rows { param($r) $r | Get-DyplsRecordUrl @args }
    }

    It 'a CSV with a missing column and an extra one' {
        $rows = @(Import-Csv (Join-Path $script:Data 'missing-column.csv') | ForEach-Object { $_ | Add-Member Expect 'InputObjectMissingMandatory' -PassThru })
        Assert-Corpus $rows { param($r) $r | Get-DyplsRecordUrl @args }
    }

    It 'PowerShell objects: [datetime] of every Kind, odd types, NUL, null' {
        $utc = [datetime]::SpecifyKind([datetime]::UtcNow.AddHours(-5), 'Utc')
        $rows = @(
            [pscustomobject]@{ CallId = 'kind-utc'; CallTime = $utc; PoolKey = 'FC1'; Expect = 'ok' }
            [pscustomobject]@{ CallId = 'kind-local'; CallTime = $utc.ToLocalTime(); PoolKey = 'FC1'; Expect = 'ok' }
            [pscustomobject]@{ CallId = 'kind-unspecified'; CallTime = [datetime]::SpecifyKind($utc.ToLocalTime(), 'Unspecified'); PoolKey = 'FC1'; Expect = 'ok' }
            [pscustomobject]@{ CallId = 'dto'; CallTime = [DateTimeOffset]::UtcNow.AddHours(-1); PoolKey = 'FC1'; Expect = 'ok' }
            [pscustomobject]@{ CallId = 'epoch-double'; CallTime = [double][DateTimeOffset]::UtcNow.AddHours(-1).ToUnixTimeMilliseconds(); PoolKey = 'FC1'; Expect = 'ok' }
            [pscustomobject]@{ CallId = 12345; CallTime = $script:Now; PoolKey = 'FC1'; Expect = 'ok' }
            [pscustomobject]@{ CallId = "nul`0inside"; CallTime = $script:Now; PoolKey = 'FC1'; Expect = 'InvalidCallId' }
            [pscustomobject]@{ CallId = 'null-time'; CallTime = $null; PoolKey = 'FC1'; Expect = 'InvalidCallTime' }
            [pscustomobject]@{ CallId = 'hashtable-time'; CallTime = @{ a = 1 }; PoolKey = 'FC1'; Expect = 'InvalidCallTime' }
            [pscustomobject]@{ CallId = 'array-time'; CallTime = @(1, 2); PoolKey = 'FC1'; Expect = 'InvalidCallTime' }
            [pscustomobject]@{ CallId = 'zero-time'; CallTime = 0; PoolKey = 'FC1'; Expect = 'InvalidCallTime' }
            [pscustomobject]@{ CallId = 'negative-time'; CallTime = -5; PoolKey = 'FC1'; Expect = 'InvalidCallTime' }
            [pscustomobject]@{ CallId = 'nul-pool'; CallTime = $script:Now; PoolKey = "FC`01"; Expect = 'InvalidPoolKey' }
            [pscustomobject]@{ CallId = 'long-pool'; CallTime = $script:Now; PoolKey = ('P' * 500); Expect = 'InvalidPoolKey' }
            [pscustomobject]@{ CallId = 'good-last'; CallTime = $script:Now; PoolKey = 'FC1'; Expect = 'ok' }
        )
        Assert-Corpus $rows { param($r) $r | Get-DyplsRecordUrl @args }
        $dest = New-Dest
        Assert-Corpus $rows { param($r) $r | Save-DyplsRecording -Destination $dest @args }
    }
}

Describe 'Crashes and bad destinations' {
    It 'a pwsh killed with SIGKILL mid-run, then run again, ends with every file complete and exact' -Skip:($IsWindows) {
        $dest = New-Dest
        $csv = Join-Path $script:Root 'kill.csv'
        1..60 | ForEach-Object { [pscustomobject]@{ CallId = "kill-$_"; CallTime = $script:Now; PoolKey = 'FC1' } } | Export-Csv $csv -NoTypeInformation
        Set-EmulatorSetting @{ recordingSize = 1MB; downloadLatencyMs = 30 }
        try {
            $script = @"
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
Import-Csv '$csv' | Save-DyplsRecording -Destination '$dest' -Endpoint $($script:Endpoint) -Credential `$cred -ThrottleLimit 8 | Out-Null
"@
            # Slow the bodies down so the kill lands mid-transfer.
            Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 2MB }
            $cmd = Get-PwshCommand
            $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
            foreach ($a in ($cmd | Select-Object -Skip 1)) { $psi.ArgumentList.Add($a) }
            foreach ($a in '-NoProfile', '-NonInteractive', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))) { $psi.ArgumentList.Add($a) }
            $psi.Environment['DYPLS_TEST_MODULE'] = Get-DyplsModulePath
            $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
            $p = [System.Diagnostics.Process]::Start($psi)
            $deadline = [DateTime]::UtcNow.AddSeconds(90)
            while ([DateTime]::UtcNow -lt $deadline -and -not $p.HasExited -and (Get-FinalFiles $dest).Count -lt 5) { Start-Sleep -Milliseconds 20 }
            $p.HasExited | Should -BeFalse -Because 'the run must still be going when it is killed'
            kill -KILL $p.Id
            $p.WaitForExit()
            $p.ExitCode | Should -Be 137

            $before = Get-FinalFiles $dest
            $partials = @(Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-partial')
            # Whatever is at a final name is already whole.
            foreach ($f in $before) { $f.Length | Should -Be 1MB }

            Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 0 }
            Reset-Emulator
            $again = Import-Csv $csv | Save-DyplsRecording -Destination $dest
            $again.Count | Should -Be 60
            @($again | Where-Object Status -eq 'Skipped').Count | Should -Be $before.Count
            if ($partials.Count -gt 0) { (Get-Stats).rangeRequests | Should -BeGreaterThan 0 }
            $files = Get-FinalFiles $dest
            $files.Count | Should -Be 60
            foreach ($f in $files) { Get-FileMd5 $f.FullName | Should -Be (Get-ExpectedMd5 ([IO.Path]::GetFileNameWithoutExtension($f.Name))) }
            Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-*' | Should -BeNullOrEmpty -Because 'no partial, meta or lock file is left'
        }
        finally { Set-EmulatorSetting @{ recordingSize = 65536; downloadLatencyMs = 0; downloadSlowBytesPerSecond = 0 } }
    }

    It 'a destination that cannot be written gives one clear error' {
        # Root ignores file modes, so use a path on a read-only file system when running as root.
        $readOnly = Join-Path $script:Root 'read-only'
        $null = New-Item -ItemType Directory $readOnly
        if (-not $IsWindows) { chmod 555 $readOnly }
        $probe = Join-Path $readOnly 'probe'
        $writable = $true
        try { [IO.File]::WriteAllText($probe, 'x'); Remove-Item $probe } catch { $writable = $false }
        if ($writable) { $readOnly = '/proc/dypls-cannot-write-here' }
        Reset-Emulator
        $rows = 1..50 | ForEach-Object { [pscustomobject]@{ CallId = "ro-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
        $caught = $null
        try { $rows | Save-DyplsRecording -Destination $readOnly -ErrorAction Stop } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable,*'
        $caught.Exception.Message | Should -Match ([regex]::Escape($readOnly))
        $caught.Exception.Message | Should -Match '-Destination'
        (Get-Stats).apiRequests | Should -Be 0
    }

    It 'a file in the way of a template folder fails those rows only' {
        $dest = New-Dest
        $null = New-Item -ItemType Directory $dest
        'not a folder' | Set-Content (Join-Path $dest 'BLOCKED')
        $rows = @(
            [pscustomobject]@{ CallId = 'tf-1'; CallTime = $script:Now; PoolKey = 'OPEN' }
            [pscustomobject]@{ CallId = 'tf-2'; CallTime = $script:Now; PoolKey = 'BLOCKED' }
            [pscustomobject]@{ CallId = 'tf-3'; CallTime = $script:Now; PoolKey = 'OPEN' }
        )
        $errs = $null
        $out = $rows | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{CallId}' -ErrorAction SilentlyContinue -ErrorVariable errs
        $out.CallId | Should -Be @('tf-1', 'tf-3')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable,*'
        $errs[0].TargetObject.CallId | Should -Be 'tf-2'
    }

    It 'a wrong secret with 1,000 rows gives one terminating error after a handful of requests' {
        Reset-Emulator
        $bad = New-DyplsDemoCredential -Secret 'not-the-secret-0001'
        $rows = 1..1000 | ForEach-Object { [pscustomobject]@{ CallId = "ws-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
        $dest = New-Dest
        $caught = $null; $errs = $null
        try { $rows | Save-DyplsRecording -Destination $dest -Credential $bad -ErrorVariable errs } catch { $caught = $_ }
        $caught.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        @($errs).Count | Should -Be 1
        (Get-Stats).apiRequests | Should -BeLessOrEqual 16
        Get-FinalFiles $dest | Should -BeNullOrEmpty
    }
}

Describe 'Stopping the other rows after an authentication failure' {
    It 'raises a catchable error every time and never silently stops the calling script' {
        # Regression: cancelling the other rows once looked like Ctrl+C to the pipeline, which ended the whole script without a word.
        $script = @"
Import-Module `$env:DYPLS_TEST_MODULE
`$bad = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString 'not-the-secret' -AsPlainText -Force))
`$rows = 1..1000 | ForEach-Object { [pscustomobject]@{ CallId = "stop-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
foreach (`$i in 1..15) {
    try { `$rows | Save-DyplsRecording -Destination (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())) -Endpoint '$($script:Endpoint)' -Credential `$bad -ErrorVariable errs } catch { 'caught ' + `$_.FullyQualifiedErrorId }
    try { `$rows | Get-DyplsRecordUrl -Endpoint '$($script:Endpoint)' -Credential `$bad } catch { 'caught ' + `$_.FullyQualifiedErrorId }
}
'script went on to the end'
"@
        $r = Invoke-ChildPwsh -Script $script
        $r.ExitCode | Should -Be 0
        $r.StdOut | Should -Match 'script went on to the end'
        ([regex]::Matches($r.StdOut, 'caught AuthenticationFailed')).Count | Should -Be 30
    }
}

Describe 'Secret hygiene' {
    It 'never shows the secret, the STS token or a URL signature in the transcript, $Error or any stream' {
        $transcript = Join-Path $script:Root 'transcript.txt'
        $dest = New-Dest
        $stsSecret = ConvertTo-SecureString $script:Keys.StsSecret -AsPlainText -Force
        $stsToken = ConvertTo-SecureString $script:Keys.StsToken -AsPlainText -Force
        $sts = @{ AccessKeyId = $script:Keys.StsAccessKeyId; AccessKeySecret = $stsSecret; SecurityToken = $stsToken }
        $Error.Clear()
        $signatures = [System.Collections.Generic.List[string]]::new()
        $streams = [System.Collections.Generic.List[object]]::new()
        $null = Start-Transcript -Path $transcript -Force
        try {
            $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
            $urls = @([pscustomobject]@{ CallId = 'hyg-1'; CallTime = $script:Now; PoolKey = 'FC1' }, [pscustomobject]@{ CallId = 'norecord-hyg'; CallTime = $script:Now; PoolKey = 'FC1' }) |
                Get-DyplsRecordUrl @sts -Verbose -Debug -ErrorAction Continue *>&1 | ForEach-Object { $streams.Add($_); $_ }
            $urls | Where-Object { $_ -is [Dypls.Models.RecordingUrl] } | ForEach-Object { $signatures.Add([regex]::Match($_.Url, 'Signature=([^&]+)').Groups[1].Value) } 
            $urls | Out-Host
            $saved = $urls | Where-Object { $_ -is [Dypls.Models.RecordingUrl] } | Save-DyplsRecording -Destination $dest @sts -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_); $_ }
            $saved | Out-Host
            # An expired URL that the server refuses, then a fresh one.
            Set-EmulatorSetting @{ urlTtlSeconds = 1 }
            $stale = [pscustomobject]@{ CallId = 'hyg-2'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl @sts
            Set-EmulatorSetting @{ urlTtlSeconds = 7200 }
            $signatures.Add([regex]::Match($stale.Url, 'Signature=([^&]+)').Groups[1].Value)
            Start-Sleep -Seconds 2
            [pscustomobject]@{ CallId = 'hyg-2'; CallTime = $script:Now; PoolKey = 'FC1'; Url = $stale.Url; ExpiresAt = [DateTimeOffset]::UtcNow.AddHours(1) } |
                Save-DyplsRecording -Destination $dest @sts -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_); $_ } | Out-Host
            # Failures: a wrong secret, a wrong token, no token.
            try { [pscustomobject]@{ CallId = 'hyg-3'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl -Credential (New-DyplsDemoCredential -Secret $script:Keys.StsSecret) -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) } } catch { $streams.Add($_) }
            $wrongToken = @{ AccessKeyId = $script:Keys.StsAccessKeyId; AccessKeySecret = $stsSecret; SecurityToken = (ConvertTo-SecureString 'WrongToken-not-secret' -AsPlainText -Force) }
            try { [pscustomobject]@{ CallId = 'hyg-4'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl @wrongToken -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) } } catch { $streams.Add($_) }
            $wrongSecret = @{ AccessKeyId = $script:Keys.StsAccessKeyId; AccessKeySecret = (ConvertTo-SecureString 'WrongSecret-not-secret' -AsPlainText -Force); SecurityToken = $stsToken }
            try { [pscustomobject]@{ CallId = 'hyg-5'; CallTime = $script:Now; PoolKey = 'FC1' } | Save-DyplsRecording -Destination $dest @wrongSecret -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) } } catch { $streams.Add($_) }
            $Error | Out-Host
        }
        finally {
            $null = Stop-Transcript
            $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
        }

        $signatures.Count | Should -BeGreaterOrEqual 2
        $haystacks = [System.Collections.Generic.List[string]]::new()
        $haystacks.Add((Get-Content -Raw $transcript))
        foreach ($item in $streams) {
            if ($item -is [Dypls.Models.RecordingUrl] -or $item -is [Dypls.Models.SavedRecording]) {
                # Output objects carry the URL on purpose; their displayed form must not.
                $haystacks.Add(($item | Format-Table | Out-String -Width 400)); $haystacks.Add($item.ToString())
            }
            else { $haystacks.Add(($item | Out-String -Width 400)) }
        }
        foreach ($e in $Error) {
            $haystacks.Add(($e | Out-String -Width 400))
            if ($e -is [System.Management.Automation.ErrorRecord]) {
                $haystacks.Add($e.FullyQualifiedErrorId)
                for ($x = $e.Exception; $x; $x = $x.InnerException) { $haystacks.Add($x.Message); $haystacks.Add($x.ToString()) }
                if ($e.ErrorDetails) { $haystacks.Add($e.ErrorDetails.Message) }
            }
        }
        $all = $haystacks -join "`n"
        $all | Should -Match 'hyg-1'                       # the search really covers the run
        $all | Should -Match 'AuthenticationFailed'
        $all | Should -Match 'STS\.\*+'                    # the AccessKeyId appears only masked
        $all | Should -Not -Match ([regex]::Escape($script:Keys.StsAccessKeyId))
        $all | Should -Not -Match ([regex]::Escape($script:Keys.StsSecret))
        $all | Should -Not -Match ([regex]::Escape($script:Keys.StsToken))
        $all | Should -Not -Match 'WrongToken-not-secret'
        $all | Should -Not -Match 'WrongSecret-not-secret'
        foreach ($sig in $signatures) {
            $sig | Should -Not -BeNullOrEmpty
            $all | Should -Not -Match ([regex]::Escape($sig))
            $all | Should -Not -Match ([regex]::Escape([uri]::UnescapeDataString($sig)))
        }
    }
}
