# Save-DyplsRecording resumes partial files: a download cut in the middle goes on with a Range request, a later run goes
# on from the partial file an earlier run left, and after a SIGKILL the next run completes every partial file, fetching
# only the missing bytes. Against the built module and a real emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-resume-" + [guid]::NewGuid().ToString('N'))
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

Describe 'Resuming' {
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
}
