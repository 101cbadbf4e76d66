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
        $rows = @(Import-Csv (Join-Path $script:Data 'missing-column.csv') | ForEach-Object { $_ | Add-Member Expect 'MissingPoolKey' -PassThru })
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
    It 'a pwsh killed with SIGKILL mid-transfer, then run again, resumes the partial files and ends with every file complete and exact' -Skip:($IsWindows) {
        $dest = New-Dest
        $csv = Join-Path $script:Root 'kill.csv'
        $size = 1MB
        $ids = @(1..60 | ForEach-Object { "kill-$_" })
        $ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $script:Now; PoolKey = 'FC1' } } | Export-Csv $csv -NoTypeInformation
        Set-EmulatorSetting @{ recordingSize = $size }
        try {
            $expected = @{}; foreach ($id in $ids) { $expected[$id] = Get-ExpectedMd5 $id }
            # Slow bodies (about 4 s each): the kill lands mid-transfer, whatever the load on the machine.
            Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 262144 }
            $script = @"
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
Import-Csv '$csv' | Save-DyplsRecording -Destination '$dest' -Endpoint $($script:Endpoint) -Credential `$cred -ThrottleLimit 8 | Out-Null
"@
            $child = Start-DyplsChildPwsh -Script $script
            # Kill when at least 3 transfers have written part of their body (and its .meta): an event on disk, not a clock.
            $deadline = [DateTime]::UtcNow.AddSeconds(120)
            function Get-Started { @(Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-partial' -ErrorAction SilentlyContinue | Where-Object { $_.Length -ge 65536 -and (Test-Path -LiteralPath ($_.FullName + '.meta')) }) }
            while ([DateTime]::UtcNow -lt $deadline -and -not $child.Process.HasExited -and (Get-Started).Count -lt 3) { Start-Sleep -Milliseconds 20 }
            $child.Process.HasExited | Should -BeFalse -Because 'the run must still be going when it is killed'
            (Get-Started).Count | Should -BeGreaterOrEqual 3 -Because 'the kill must land mid-transfer'
            kill -KILL $child.Process.Id
            $child.Process.WaitForExit()
            $child.Process.ExitCode | Should -Be 137

            $before = Get-FinalFiles $dest
            # Whatever is at a final name is already whole.
            foreach ($f in $before) { $f.Length | Should -Be $size }
            $partials = @(Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-partial' | Where-Object { $_.Length -gt 0 -and (Test-Path -LiteralPath ($_.FullName + '.meta')) })
            $partials.Count | Should -BeGreaterOrEqual 3 -Because 'the killed transfers leave their partial files'
            $reused = ($partials | Measure-Object Length -Sum).Sum
            $resumable = @($partials | Where-Object Length -lt $size).Count

            Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 0 }
            Reset-Emulator
            $again = Import-Csv $csv | Save-DyplsRecording -Destination $dest
            $stats = Get-Stats
            $again.Count | Should -Be 60
            @($again | Where-Object Status -eq 'Skipped').Count | Should -Be $before.Count
            @($again | Where-Object Status -eq 'Resumed').Count | Should -BeGreaterOrEqual $resumable
            # Always a resume that reuses the saved bytes: exactly the missing bytes are fetched.
            $stats.rangeRequests | Should -Be $resumable
            $stats.downloadBytes | Should -Be ((60 - $before.Count) * $size - $reused) -Because 'every byte saved before the kill is reused'
            $files = Get-FinalFiles $dest
            $files.Count | Should -Be 60
            foreach ($f in $files) { Get-FileMd5 $f.FullName | Should -Be $expected[[IO.Path]::GetFileNameWithoutExtension($f.Name)] }
            Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-*' | Should -BeNullOrEmpty -Because 'no partial, meta or lock file is left'
        }
        finally { Set-EmulatorSetting @{ recordingSize = 65536; downloadLatencyMs = 0; downloadSlowBytesPerSecond = 0 } }
    }

    It 'a destination that cannot be written gives one clear error (<Name>)' -ForEach @(
        @{ Name = 'a chmod 555 folder, run by an unprivileged user'; Kind = 'User' }
        @{ Name = 'a folder on a read-only mount'; Kind = 'Mount' }
    ) {
        # Root ignores file modes: the folder must really be read-only for whoever runs the cmdlet.
        $problem = $null
        if (-not $IsLinux) { $problem = 'needs Linux (setpriv or runuser, mount)' }
        elseif ((id -u) -ne '0') { $problem = 'needs root to switch user or mount' }
        $readOnly = Join-Path $script:Root ("read-only-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $readOnly
        $rows = 1..50 | ForEach-Object { [pscustomobject]@{ CallId = "ro-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
        $mounted = $false
        try {
            if (-not $problem -and $Kind -eq 'Mount') {
                $out = & mount -t tmpfs -o ro,size=1m dypls-read-only $readOnly 2>&1
                if ($LASTEXITCODE -eq 0) { $mounted = $true } else { $problem = "mount -t tmpfs -o ro failed: $out" }
            }
            if (-not $problem -and $Kind -eq 'User') {
                $switch = Get-Command setpriv -ErrorAction SilentlyContinue
                if (-not $switch) { $problem = 'setpriv is not installed' }
            }
            if ($problem) {
                Write-Warning "READ-ONLY DESTINATION ($Name) IS SKIPPED, NOT PASSED: $problem"
                Set-ItResult -Skipped -Because "READ-ONLY DESTINATION NOT TESTED: $problem"
                return
            }
            Reset-Emulator
            if ($Kind -eq 'Mount') {
                $probe = Join-Path $readOnly 'probe'
                { [IO.File]::WriteAllText($probe, 'x') } | Should -Throw -Because 'the test needs a folder even root cannot write'
                $caught = $null
                try { $rows | Save-DyplsRecording -Destination $readOnly -ErrorAction Stop } catch { $caught = $_ }
                $id = $caught.FullyQualifiedErrorId; $message = $caught.Exception.Message; $count = 1
            }
            else {
                chmod 555 $readOnly
                # The unprivileged user needs pwsh and the module: copies in a world-readable folder.
                $shared = Join-Path ([IO.Path]::GetTempPath()) ("dypls-nobody-" + [guid]::NewGuid().ToString('N'))
                $null = New-Item -ItemType Directory $shared
                Copy-Item -Recurse $PSHOME (Join-Path $shared 'pwsh')
                Copy-Item -Recurse (Split-Path (Get-DyplsModulePath)) (Join-Path $shared 'Dypls')
                $homeDir = Join-Path $shared 'home'; $null = New-Item -ItemType Directory $homeDir
                chmod -R a+rX $shared; chown 65534:65534 $homeDir
                try {
                    $script = @"
Import-Module '$shared/Dypls/Dypls.psd1'
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
`$rows = 1..50 | ForEach-Object { [pscustomobject]@{ CallId = "ro-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
try { [IO.File]::WriteAllText('$readOnly/probe', 'x'); 'PROBE WROTE' } catch { 'PROBE REFUSED' }
`$errs = `$null
try { `$rows | Save-DyplsRecording -Destination '$readOnly' -Endpoint '$($script:Endpoint)' -Credential `$cred -ErrorAction SilentlyContinue -ErrorVariable errs; 'NO ERROR' }
catch { 'ID ' + `$_.FullyQualifiedErrorId; 'MESSAGE ' + `$_.Exception.Message }
'COUNT ' + @(`$errs).Count
'USER ' + (id -u)
"@
                    $psi = [System.Diagnostics.ProcessStartInfo]::new('setpriv')
                    foreach ($a in '--reuid=65534', '--regid=65534', '--clear-groups') { $psi.ArgumentList.Add($a) }
                    if ([IO.Path]::GetFileNameWithoutExtension((Get-PwshCommand)[0]) -eq 'dotnet') { $psi.ArgumentList.Add((Get-PwshCommand)[0]); $psi.ArgumentList.Add((Join-Path $shared 'pwsh/pwsh.dll')) }
                    else { $psi.ArgumentList.Add((Join-Path $shared 'pwsh/pwsh')) }
                    foreach ($a in '-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))) { $psi.ArgumentList.Add($a) }
                    $psi.Environment['HOME'] = $homeDir
                    $psi.Environment['DOTNET_CLI_HOME'] = $homeDir
                    # The unprivileged child cannot enter a private working directory (a checkout under `mktemp -d`).
                    $psi.WorkingDirectory = $homeDir
                    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
                    $p = [System.Diagnostics.Process]::Start($psi)
                    $errTask = $p.StandardError.ReadToEndAsync()
                    $text = $p.StandardOutput.ReadToEnd()
                    $null = $p.WaitForExit(120000)
                }
                finally { Remove-Item -Recurse -Force $shared -ErrorAction SilentlyContinue }
                $text | Should -Match 'USER 65534' -Because "the child must run unprivileged: $text $($errTask.Result)"
                $text | Should -Match 'PROBE REFUSED' -Because 'the folder must really be read-only for that user'
                $id = [regex]::Match($text, 'ID (\S+)').Groups[1].Value
                $message = [regex]::Match($text, '(?s)MESSAGE (.*?)\nCOUNT').Groups[1].Value -replace '\s+', ' '
                $count = [int][regex]::Match($text, 'COUNT (\d+)').Groups[1].Value
            }
            $id | Should -BeLike 'DestinationNotWritable,*'
            $count | Should -Be 1 -Because 'one error for the run, not one per row'
            $message | Should -Match ([regex]::Escape($readOnly))
            $message | Should -Match '-Destination'
            (Get-Stats).apiRequests | Should -Be 0 -Because 'the destination is checked before any API call'
        }
        finally {
            if ($mounted) { & umount $readOnly 2>&1 | Out-Null }
        }
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
        # The rows already in flight: Auto starts with 32 API calls at once.
        (Get-Stats).apiRequests | Should -BeLessOrEqual 32
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
