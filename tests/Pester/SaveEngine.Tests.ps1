# The save engine v2 contract (issue 9, "Tests that must exist"): overlapping runs on one destination, disk full,
# failures that hit every row, waits that must end, and crafted Url values. These run against the built module and a
# real emulator process; runs that could hang or that need their own environment run in a child pwsh with a bound.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-engine-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred

    $script:KnownExtensions = @('.mp3', '.wav', '.m4a', '.amr', '.ogg', '.aac', '.opus', '.wma', '.flac', '.bin')
    $script:OkStatus = @('Downloaded', 'Resumed', 'Skipped')
    # Every setting a test here may change, at its default: each test starts from and returns to this.
    $script:Defaults = @{
        recordingSize = 65536; downloadSlowBytesPerSecond = 0; cutDownloads = 0; cutDownloadsAtBytes = 16384; downloadTruncateRate = 0
        downloadEndless403Rate = 0; downloadHeaderStallRate = 0; apiEndlessErrorRate = 0; ramDenyAll = $false; recordingVersion = 0
        metadataUnreachable = $false
    }

    function Reset-Emulator { Reset-DyplsEmulatorStats $script:Emu }
    function Get-Stats { Get-DyplsEmulatorStats $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting $script:Emu $Settings }
    function Restore-EmulatorSettings { Set-EmulatorSetting $script:Defaults }
    function New-Dest { $d = Join-Path $script:Root ([guid]::NewGuid().ToString('N')); $null = New-Item -ItemType Directory $d; $d }
    function New-Rows([string[]] $Ids) { $Ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $script:Now; PoolKey = 'FC1' } } }
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*' }) }
    function Get-ErrorId($ErrorRecord) { ($ErrorRecord.FullyQualifiedErrorId -split ',')[0] }
    function Format-Errors($Errors) { (@($Errors) | Select-Object -First 5 | ForEach-Object { "$($_.Id): $($_.Message)" }) -join ' | ' }

    # The start of every child script: the built module and the demo key (or the one named).
    function Get-ChildPrelude([string] $KeyId = $script:Keys.AccessKeyId, [string] $Secret = $script:Keys.AccessKeySecret) {
        @"
`$ErrorActionPreference = 'Stop'
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$KeyId', (ConvertTo-SecureString '$Secret' -AsPlainText -Force))
function Out-RunReport(`$Out, `$Errs, `$Terminating, `$Started) {
    [pscustomobject]@{
        Started = `$Started.ToString('o'); Ended = [DateTimeOffset]::UtcNow.ToString('o')
        Results = @(@(`$Out) | Where-Object { `$_ } | ForEach-Object { [pscustomobject]@{ CallId = `$_.CallId; Status = [string]`$_.Status; Path = `$_.Path } })
        Errors = @(@(`$Errs) | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] -and -not [object]::ReferenceEquals(`$_, `$Terminating) } | ForEach-Object { [pscustomobject]@{ Id = `$_.FullyQualifiedErrorId; Message = `$_.Exception.Message; CallId = [string]`$_.TargetObject.CallId } })
        Terminating = if (`$Terminating) { [pscustomobject]@{ Id = `$Terminating.FullyQualifiedErrorId; Message = `$Terminating.Exception.Message } } else { `$null }
    } | ConvertTo-Json -Depth 5 -Compress
}
"@
    }
}

AfterAll {
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
            $script = (Get-ChildPrelude) + @"
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
            @($report.Errors).Count | Should -Be 0 -Because "run $n must report no error, but said: $(Format-Errors $report.Errors)"
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

Describe 'Disk full' {
    BeforeAll {
        $script:Mount = Join-Path $script:Root 'small-disk'
        $null = New-Item -ItemType Directory $script:Mount
        $script:Mounted = $false
        $script:MountProblem = $null
        if (-not $IsLinux) { $script:MountProblem = 'this test mounts a tmpfs, which needs Linux' }
        elseif ((id -u) -ne '0') { $script:MountProblem = 'this test mounts a tmpfs, which needs root (the tests run as uid ' + (id -u) + ')' }
        else {
            $out = & mount -t tmpfs -o size=1m dypls-disk-full $script:Mount 2>&1
            if ($LASTEXITCODE -eq 0) { $script:Mounted = $true }
            else { $script:MountProblem = "mount -t tmpfs failed here: $out" }
        }
        if (-not $script:Mounted) { Write-Warning "DISK-FULL TESTS ARE SKIPPED, NOT PASSED: $($script:MountProblem)" }
        $script:DiskRows = New-Rows (1..100 | ForEach-Object { 'full-{0:D3}' -f $_ })
    }
    AfterAll {
        Restore-EmulatorSettings
        if ($script:Mounted) { & umount $script:Mount 2>&1 | Out-Null }
    }

    It 'stops once with DiskFull: one terminating error, few requests, no empty .meta file' {
        if (-not $script:Mounted) { Set-ItResult -Skipped -Because "DISK FULL NOT TESTED: $($script:MountProblem)"; return }
        Reset-Emulator
        $caught = $null; $errs = $null
        try { $script:DiskRows | Save-DyplsRecording -Destination $script:Mount -ThrottleLimit 4 -ErrorAction SilentlyContinue -ErrorVariable errs }
        catch { $caught = $_ }
        $stats = Get-Stats
        $saved = Get-FinalFiles $script:Mount
        $caught | Should -Not -BeNullOrEmpty -Because "disk full must stop the run; it gave $(@($errs).Count) errors such as $(@($errs)[0].FullyQualifiedErrorId)"
        $caught.FullyQualifiedErrorId | Should -BeLike 'DiskFull*'
        @($errs).Count | Should -Be 1 -Because 'one terminating error and no per-row flood'
        $saved.Count | Should -BeGreaterThan 0 -Because '1 MB holds some 64 KB recordings'
        # In flight when the disk fills: at most 4 downloads and, fetched ahead, URLs for as many rows again.
        $stats.apiRequests | Should -BeLessOrEqual ($saved.Count + 2 * 4) -Because 'after the first failure only the requests in flight may follow'
        @(Get-ChildItem -LiteralPath $script:Mount -Force -Filter '*.meta' | Where-Object Length -eq 0) | Should -BeNullOrEmpty
        foreach ($f in $saved) { Get-DyplsFileMd5 $f.FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu ([IO.Path]::GetFileNameWithoutExtension($f.Name))) }
    }

    It 'a rerun once there is space completes: every file exact, zero errors, nothing left behind' {
        if (-not $script:Mounted) { Set-ItResult -Skipped -Because "DISK FULL NOT TESTED: $($script:MountProblem)"; return }
        & mount -o remount,size=64m $script:Mount
        $LASTEXITCODE | Should -Be 0
        Reset-Emulator
        $errs = $null
        $out = $script:DiskRows | Save-DyplsRecording -Destination $script:Mount -ThrottleLimit 4 -ErrorAction SilentlyContinue -ErrorVariable errs
        @($errs) | Should -BeNullOrEmpty
        $out.Count | Should -Be 100
        foreach ($r in $out) { $r.Status | Should -BeIn $script:OkStatus }
        $files = Get-FinalFiles $script:Mount
        $files.Count | Should -Be 100
        foreach ($f in $files) { Get-DyplsFileMd5 $f.FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu ([IO.Path]::GetFileNameWithoutExtension($f.Name))) }
        Get-DyplsHiddenFiles $script:Mount | Should -BeNullOrEmpty
    }
}

Describe 'Failures that hit every row stop the run once' {
    AfterEach { Restore-EmulatorSettings }

    It 'Forbidden.RAM with 100 rows and -ThrottleLimit 8 gives one ActionDenied and at most 8 API requests (<_>)' -ForEach @('Get-DyplsRecordUrl', 'Save-DyplsRecording') {
        $cmd = $_
        $denied = New-DyplsDemoCredential -Denied
        $rows = New-Rows (1..100 | ForEach-Object { "ram-$_" })
        $dest = New-Dest
        Reset-Emulator
        $caught = $null; $errs = $null
        try {
            if ($cmd -eq 'Save-DyplsRecording') { $rows | Save-DyplsRecording -Destination $dest -Credential $denied -ThrottleLimit 8 -ErrorAction SilentlyContinue -ErrorVariable errs }
            else { $rows | Get-DyplsRecordUrl -Credential $denied -ThrottleLimit 8 -ErrorAction SilentlyContinue -ErrorVariable errs }
        }
        catch { $caught = $_ }
        $stats = Get-Stats
        $caught | Should -Not -BeNullOrEmpty -Because "Forbidden.RAM must stop the run; it gave $(@($errs).Count) errors"
        $caught.FullyQualifiedErrorId | Should -BeLike 'ActionDenied,*'
        @($errs).Count | Should -Be 1
        $stats.ramDenied | Should -BeGreaterThan 0 -Because 'the emulator really denied the identity'
        $stats.apiRequests | Should -BeLessOrEqual 8
        $stats.downloadRequests | Should -Be 0
        Get-FinalFiles $dest | Should -BeNullOrEmpty
    }

    It 'an unreachable ECS metadata service with 100 rows gives one CredentialSourceFailed and no per-row flood' {
        # The emulator's metadata service drops every connection unanswered: the credential source fails for everyone.
        Set-EmulatorSetting @{ metadataUnreachable = $true }
        Reset-Emulator
        $script = (Get-ChildPrelude) + @"
`$rows = 1..100 | ForEach-Object { [pscustomobject]@{ CallId = "ecs-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
`$started = [DateTimeOffset]::UtcNow
`$errs = `$null; `$out = `$null; `$terminating = `$null
try { `$out = `$rows | Get-DyplsRecordUrl -Endpoint '$($script:Endpoint)' -ThrottleLimit 8 -TimeoutSec 2 -ErrorAction SilentlyContinue -ErrorVariable errs }
catch { `$terminating = `$_ }
Out-RunReport `$out `$errs `$terminating `$started
"@
        $child = Start-DyplsChildPwsh -Script $script -Environment @{ ALIBABA_CLOUD_ECS_METADATA = 'DyplsNoSuchRole'; DYPLS_ECS_METADATA_ENDPOINT = $script:Endpoint }
        $end = Wait-DyplsChildPwsh $child -TimeoutSec 120
        $end.TimedOut | Should -BeFalse -Because 'every row paying the metadata timeouts in turn is the flood this guards against'
        $report = $end.StdOut | ConvertFrom-Json
        $stats = Get-Stats
        $report.Terminating | Should -Not -BeNullOrEmpty -Because "a failing credential source must stop the run; it gave: $(Format-Errors $report.Errors)"
        $report.Terminating.Id | Should -BeLike 'CredentialSourceFailed,*'
        @($report.Errors).Count | Should -Be 0 -Because 'one terminating error and no per-row flood'
        $stats.apiRequests | Should -Be 0
        $stats.metadataRequests | Should -BeGreaterThan 0 -Because 'the metadata service was really asked'
        $stats.metadataRequests | Should -BeLessOrEqual 24 -Because 'at most a few metadata requests for each of the 8 rows in flight, not for all 100 rows'
    }
}

Describe 'Every wait is bounded' {
    BeforeAll {
        # Runs rows in a child pwsh (so a hang cannot hang this suite) and reports what came out and how long it took.
        function Invoke-BoundedRun([string] $Pipeline, [int] $Rows = 2) {
            $script = (Get-ChildPrelude) + @"
`$rows = 1..$Rows | ForEach-Object { [pscustomobject]@{ CallId = "wait-`$_-$([guid]::NewGuid().ToString('N').Substring(0, 8))"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
`$started = [DateTimeOffset]::UtcNow
`$errs = `$null; `$out = `$null; `$terminating = `$null
try { `$out = `$rows | $Pipeline -ErrorAction SilentlyContinue -ErrorVariable errs }
catch { `$terminating = `$_ }
Out-RunReport `$out `$errs `$terminating `$started
"@
            $clock = [Diagnostics.Stopwatch]::StartNew()
            $end = Wait-DyplsChildPwsh (Start-DyplsChildPwsh -Script $script) -TimeoutSec 90
            $clock.Stop()
            [pscustomobject]@{ End = $end; Seconds = $clock.Elapsed.TotalSeconds; Report = if ($end.TimedOut) { $null } else { $end.StdOut | ConvertFrom-Json } }
        }
    }
    AfterEach { Restore-EmulatorSettings }

    It 'a download <Kind> ends each row with <ErrorId> within the bound (-TimeoutSec 2 -MaxAttempts 1)' -ForEach @(
        @{ Kind = '403 whose body never ends'; Setting = 'downloadEndless403Rate'; Counter = 'faultDownloadEndless403'; ErrorId = 'DownloadAccessDenied' }
        @{ Kind = '200 whose body stalls after its headers'; Setting = 'downloadHeaderStallRate'; Counter = 'faultDownloadHeaderStall'; ErrorId = 'DownloadStalled' }
    ) {
        $dest = New-Dest
        Set-EmulatorSetting @{ $Setting = 1 }
        Reset-Emulator
        $run = Invoke-BoundedRun "Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Endpoint)' -Credential `$cred -TimeoutSec 2 -MaxAttempts 1"
        $run.End.TimedOut | Should -BeFalse -Because "the run must not hang (killed after $([int]$run.Seconds) s)"
        $run.Seconds | Should -BeLessOrEqual 30 -Because 'each row must end within a generous bound of -TimeoutSec'
        (Get-Stats).$Counter | Should -BeGreaterThan 0 -Because 'the fault really happened'
        $run.Report.Terminating | Should -BeNullOrEmpty
        @($run.Report.Results).Count | Should -Be 0
        @($run.Report.Errors).Count | Should -Be 2 -Because 'one per-row error for each row'
        foreach ($e in $run.Report.Errors) { $e.Id | Should -BeLike "$ErrorId,*" }
        Get-FinalFiles $dest | Should -BeNullOrEmpty
    }

    It 'an API error whose body never ends ends with RequestTimeout within the bound (Get-DyplsRecordUrl -TimeoutSec 2 -MaxAttempts 1)' {
        Set-EmulatorSetting @{ apiEndlessErrorRate = 1 }
        Reset-Emulator
        $run = Invoke-BoundedRun "Get-DyplsRecordUrl -Endpoint '$($script:Endpoint)' -Credential `$cred -TimeoutSec 2 -MaxAttempts 1" -Rows 1
        $run.End.TimedOut | Should -BeFalse -Because "the run must not hang (killed after $([int]$run.Seconds) s)"
        $run.Seconds | Should -BeLessOrEqual 30
        (Get-Stats).faultApiEndlessError | Should -BeGreaterThan 0
        $all = @($run.Report.Errors) + @($run.Report.Terminating | Where-Object { $_ })
        $all.Count | Should -Be 1
        $all[0].Id | Should -BeLike 'RequestTimeout,*'
    }
}

Describe 'Crafted Url values' {
    AfterEach { Restore-EmulatorSettings }

    It 'a Url whose object name is <Name> (<ContentType>) saves as <Expected>, never as the crafted extension' -ForEach @(
        @{ Name = 'recording.ps1'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'setup.exe'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'run.bat'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'noextension'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'payload.exe'; ContentType = 'application/x-msdownload'; Expected = '.bin' }
        @{ Name = 'script.ps1'; ContentType = 'text/plain'; Expected = '.bin' }
    ) {
        $dest = New-Dest
        $id = 'crafted-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $expires = [DateTimeOffset]::UtcNow.AddHours(1).ToUnixTimeSeconds()
        $url = $script:Endpoint + "_emulator/object/$Name" + "?CallId=$id&contentType=$([uri]::EscapeDataString($ContentType))&Expires=$expires&OSSAccessKeyId=LTAI5tCrafted&Signature=crafted"
        $row = [pscustomobject]@{ CallId = $id; CallTime = $script:Now; PoolKey = 'FC1'; Url = $url }
        $errs = $null
        $r = $row | Save-DyplsRecording -Destination $dest -ErrorAction SilentlyContinue -ErrorVariable errs
        @($errs) | Should -BeNullOrEmpty
        $r.Status | Should -BeIn $script:OkStatus
        [IO.Path]::GetExtension($r.Path) | Should -BeIn $script:KnownExtensions
        [IO.Path]::GetExtension($r.Path) | Should -Be $Expected
        $files = Get-FinalFiles $dest
        $files.Count | Should -Be 1
        $files[0].Extension | Should -Not -BeIn @('.ps1', '.exe', '.bat', '.cmd')
        $files[0].Extension | Should -BeIn $script:KnownExtensions
        Get-DyplsFileMd5 $files[0].FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu $id)
    }

    It 'a plain-http Url on a foreign host is refused per row with InsecureDownloadUrl and never requested; loopback http works' {
        $dest = New-Dest
        $expires = [DateTimeOffset]::UtcNow.AddHours(1).ToUnixTimeSeconds()
        $foreign = "http://recordings.example.com/secret-axb-record-files/x.mp3?Expires=$expires&OSSAccessKeyId=LTAI5tForeign&Signature=foreign"
        $loopback = $script:Endpoint + "_emulator/object/ok.mp3?CallId=http-loopback&Expires=$expires&Signature=x"
        # The child sends anything for a foreign host through the emulator as its proxy, where unroutedRequests counts it.
        $script = (Get-ChildPrelude) + @"
`$rows = @(
    [pscustomobject]@{ CallId = 'http-foreign'; CallTime = '$($script:Now)'; PoolKey = 'FC1'; Url = '$foreign' }
    [pscustomobject]@{ CallId = 'http-loopback'; CallTime = '$($script:Now)'; PoolKey = 'FC1'; Url = '$loopback' }
)
`$started = [DateTimeOffset]::UtcNow
`$errs = `$null; `$out = `$null; `$terminating = `$null
try { `$out = `$rows | Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Endpoint)' -Credential `$cred -MaxAttempts 1 -TimeoutSec 5 -ErrorAction SilentlyContinue -ErrorVariable errs }
catch { `$terminating = `$_ }
Out-RunReport `$out `$errs `$terminating `$started
"@
        $proxy = $script:Endpoint.TrimEnd('/')
        Reset-Emulator
        $end = Wait-DyplsChildPwsh (Start-DyplsChildPwsh -Script $script -Environment @{
                # .NET reads the lower-case names first on Linux and macOS.
                http_proxy = $proxy; https_proxy = $proxy; no_proxy = '127.0.0.1,localhost'
            }) -TimeoutSec 90
        $end.TimedOut | Should -BeFalse
        $report = $end.StdOut | ConvertFrom-Json
        $stats = Get-Stats
        $report.Terminating | Should -BeNullOrEmpty
        @($report.Errors).Count | Should -Be 1 -Because (Format-Errors $report.Errors)
        $report.Errors[0].CallId | Should -Be 'http-foreign'
        $report.Errors[0].Id | Should -BeLike 'InsecureDownloadUrl,*'
        $stats.unroutedRequests | Should -Be 0 -Because 'no request may be sent for a plain-http URL on a foreign host'
        @($report.Results).Count | Should -Be 1
        $report.Results[0].CallId | Should -Be 'http-loopback'
        $report.Results[0].Status | Should -BeIn $script:OkStatus
        Get-DyplsFileMd5 $report.Results[0].Path | Should -Be (Get-DyplsExpectedMd5 $script:Emu 'http-loopback')
    }
}
