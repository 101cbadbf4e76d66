# Save-DyplsRecording in several processes at once on one destination: every file byte-exact, no error, every row
# reported in input order, no working file left behind. The runs are child pwsh processes that start together.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-overlap-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
    $script:OkStatus = @('Downloaded', 'Resumed', 'Skipped')

    function Reset-Emulator { Reset-DyplsEmulatorStats $script:Emu }
    function Get-Stats { Get-DyplsEmulatorStats $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting $script:Emu $Settings }
    function Get-ExpectedMd5([string] $CallId) { Get-DyplsExpectedMd5 $script:Emu $CallId }
    function Get-FileMd5([string] $Path) { Get-DyplsFileMd5 $Path }
    function New-Dest { $d = Join-Path $script:Root ([guid]::NewGuid().ToString('N')); $null = New-Item -ItemType Directory $d; $d }
    function New-Rows([string[]] $Ids) { $Ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $script:Now; PoolKey = 'FC1' } } }
    # Files at final names (every file whose name starts with a dot is a working file).
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*' }) }
    # Every setting a test here may change, at its default: each test starts from and returns to this.
    $script:Defaults = @{
        recordingSize = 65536; downloadSlowBytesPerSecond = 0; cutDownloads = 0; cutDownloadsAtBytes = 16384; downloadTruncateRate = 0
        downloadEndless403Rate = 0; downloadHeaderStallRate = 0; apiEndlessErrorRate = 0; ramDenyAll = $false; recordingVersion = 0
        metadataUnreachable = $false
    }
    function Restore-EmulatorSettings { Set-EmulatorSetting $script:Defaults }
}

AfterAll {
    # $PSDefaultParameterValues is global: leave nothing behind for the next test file.
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Overlapping runs on one destination' {
    AfterEach { Restore-EmulatorSettings }

    It '<_> pwsh processes save one CSV into one folder at once: every file exact, zero errors, every row reported, nothing left behind' -ForEach @(2, 3) {
        $runs = $_
        $dest = New-Dest
        $csv = Join-Path $script:Root "overlap-$runs.csv"
        $ids = @(1..120 | ForEach-Object { "ovl$runs-{0:D3}" -f $_ })
        New-Rows $ids | Export-Csv $csv -NoTypeInformation
        # ~200 KB recordings paced like a real link (about half a second each), and a quarter of the downloads cut off.
        Set-EmulatorSetting @{ recordingSize = 204800 }
        $expected = @{}
        foreach ($id in $ids) { $expected[$id] = Get-DyplsExpectedMd5 $script:Emu $id }
        Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 409600; cutDownloads = 30; cutDownloadsAtBytes = 65536 }
        Reset-Emulator

        # A barrier: every child loads the module, says it is ready, and starts only when all are.
        $gate = Join-Path $script:Root ("gate-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $gate
        $children = foreach ($i in 1..$runs) {
            $script = (Get-DyplsChildPrelude) + @"
`$null = New-Item -ItemType File '$gate/ready-$i'
while (-not (Test-Path '$gate/go')) { Start-Sleep -Milliseconds 10 }
`$started = [DateTimeOffset]::UtcNow
`$errs = `$null; `$out = `$null; `$terminating = `$null
try { `$out = Import-Csv '$csv' | Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Endpoint)' -Credential `$cred -ErrorAction SilentlyContinue -ErrorVariable errs }
catch { `$terminating = `$_ }
Out-RunReport `$out `$errs `$terminating `$started
"@
            Start-DyplsChildPwsh -Script $script
        }
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while (@(Get-ChildItem $gate -Filter 'ready-*').Count -lt $runs -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
        $null = New-Item -ItemType File (Join-Path $gate 'go')
        $ends = @($children | ForEach-Object { Wait-DyplsChildPwsh $_ -TimeoutSec 600 })
        $stats = Get-Stats

        $reports = foreach ($end in $ends) {
            $end.TimedOut | Should -BeFalse -Because 'a run must finish'
            $end.ExitCode | Should -Be 0 -Because $end.StdErr
            $end.StdOut | ConvertFrom-Json
        }
        # The runs really overlapped: the last one started before the first one ended.
        $latestStart = ($reports | ForEach-Object { [DateTimeOffset]::Parse($_.Started) } | Measure-Object -Maximum).Maximum
        $earliestEnd = ($reports | ForEach-Object { [DateTimeOffset]::Parse($_.Ended) } | Measure-Object -Minimum).Minimum
        $latestStart | Should -BeLessThan $earliestEnd -Because 'the test is only meaningful when the runs overlap'
        $stats.cutDownloads | Should -BeGreaterThan 0 -Because 'downloads were cut off'

        $n = 0
        foreach ($report in $reports) {
            $n++
            $report.Terminating | Should -BeNullOrEmpty -Because "run $n must not stop: $($report.Terminating.Id) $($report.Terminating.Message)"
            @($report.Errors).Count | Should -Be 0 -Because "run $n must report no error, but said: $(Format-DyplsRunErrors $report.Errors)"
            @($report.Results).Count | Should -Be 120 -Because "run $n reports every row"
            @($report.Results.CallId) | Should -Be $ids -Because 'output keeps input order'
            foreach ($r in $report.Results) { $r.Status | Should -BeIn $script:OkStatus }
        }
        $files = Get-FinalFiles $dest
        $files.Count | Should -Be 120
        foreach ($f in $files) {
            $id = [IO.Path]::GetFileNameWithoutExtension($f.Name)
            $f.Extension | Should -Be '.mp3'
            Get-DyplsFileMd5 $f.FullName | Should -Be $expected[$id] -Because "$($f.Name) must be byte-exact"
        }
        Get-DyplsHiddenFiles $dest | Should -BeNullOrEmpty -Because 'no .dypls-partial, .meta or .dypls-lock file may remain'
    }
}
