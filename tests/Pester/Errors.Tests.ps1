# How both cmdlets fail: bad rows next to good ones (a checked-in corpus of bad input, PowerShell objects of odd types,
# missing columns, rows the service refuses) each get one clear non-terminating error; failures that hit every row
# (a denied action, a wrong secret) stop the run once with one catchable error; and every wait ends within its bound.
# Against the built module and a real emulator process; runs that could hang run in a child pwsh with a bound.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator -ArgumentList '--retention-days', '36500'   # the corpus has fixed dates: keep them inside the retention window for good
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-errors-" + [guid]::NewGuid().ToString('N'))
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
    # Files at final names (not our .dypls-partial working files).
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*.dypls-*' }) }
    # Every setting a test here may change, at its default: each test starts from and returns to this.
    $script:Defaults = @{
        recordingSize = 65536; downloadSlowBytesPerSecond = 0; cutDownloads = 0; cutDownloadsAtBytes = 16384; downloadTruncateRate = 0
        downloadEndless403Rate = 0; downloadHeaderStallRate = 0; apiEndlessErrorRate = 0; ramDenyAll = $false; recordingVersion = 0
        metadataUnreachable = $false
    }
    function Restore-EmulatorSettings { Set-EmulatorSetting $script:Defaults }
    $script:Data = Join-Path $PSScriptRoot 'data'
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

Describe 'Bad rows next to good ones' {
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

    It 'Get-DyplsRecordUrl gives each bad row one non-terminating error with a stable ErrorId and the row as TargetObject' {
        $rows = @(
            [pscustomobject]@{ CallId = 'good-1'; CallTime = $script:Now; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = '   '; CallTime = $script:Now; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = 'bad-time'; CallTime = 'not a time'; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = 'no-pool'; CallTime = $script:Now; PoolKey = '' }
            [pscustomobject]@{ CallId = 'norecord-7'; CallTime = $script:Now; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = 'bad-pool'; CallTime = $script:Now; PoolKey = 'NOPOOL' }
            [pscustomobject]@{ CallId = ('x' * 101); CallTime = $script:Now; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = 'future'; CallTime = '2099-01-01 00:00:00'; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = 'good-2'; CallTime = $script:Now; PoolKey = 'FC1' }
        )
        $errs = $null
        $out = $rows | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ErrorAction SilentlyContinue -ErrorVariable errs
        $out.CallId | Should -Be @('good-1', 'good-2')
        $errs.Count | Should -Be 7
        $byId = @{}; foreach ($e in $errs) { $byId[$e.TargetObject.CallId] = $e }
        $byId['   '].FullyQualifiedErrorId | Should -BeLike 'MissingCallId,*'
        $byId['bad-time'].FullyQualifiedErrorId | Should -BeLike 'InvalidCallTime,*'
        $byId['no-pool'].FullyQualifiedErrorId | Should -BeLike 'MissingPoolKey,*'
        $byId['norecord-7'].FullyQualifiedErrorId | Should -BeLike 'RecordingNotAvailable,*'
        $byId['norecord-7'].Exception.Message | Should -Match 'retention'
        $byId['bad-pool'].FullyQualifiedErrorId | Should -BeLike 'ApiError.isv.POOLKEY_NOT_EXISTS,*'
        $byId['x' * 101].FullyQualifiedErrorId | Should -BeLike 'InvalidCallId,*'
        $byId['future'].FullyQualifiedErrorId | Should -BeLike 'InvalidCallTime,*'
        foreach ($e in $errs) { $e.TargetObject | Should -BeIn $rows }
    }

    It 'Get-DyplsRecordUrl reports a row that lacks a mandatory column and goes on' {
        $rows = @(
            [pscustomobject]@{ CallId = 'ok-a'; CallTime = $script:Now; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = 'missing-pool-column'; CallTime = $script:Now }
            [pscustomobject]@{ CallId = 'ok-b'; CallTime = $script:Now; PoolKey = 'FC1' }
        )
        $errs = $null
        $out = $rows | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ErrorAction SilentlyContinue -ErrorVariable errs
        $out.CallId | Should -Be @('ok-a', 'ok-b')
        $errs.Count | Should -Be 1
        $errs[0].TargetObject.CallId | Should -Be 'missing-pool-column'
    }

    It 'Save-DyplsRecording gives the "not available" row a clear error and saves the others' {
        $dest = New-Dest
        $errs = $null
        $r = 'ok-1', 'norecord-1', 'ok-2' | ForEach-Object { [pscustomobject]@{ call_id = $_; call_time = $script:Now; pool_key = 'FC100001' } } | Save-DyplsRecording -Destination $dest -ErrorAction SilentlyContinue -ErrorVariable errs
        $r.CallId | Should -Be @('ok-1', 'ok-2')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'RecordingNotAvailable,*'
        $errs[0].TargetObject.call_id | Should -Be 'norecord-1'
        $errs[0].Exception.Message | Should -Match 'retention'
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

    It 'a wrong secret over 300 rows fails Get-DyplsRecordUrl once, terminating, after only a few requests' {
        Reset-Emulator
        $bad = New-DyplsDemoCredential -Secret 'wrong-secret-value-123'
        $rows = 1..300 | ForEach-Object { [pscustomobject]@{ CallId = "row-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
        $caught = $null
        try { $rows | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $bad -ThrottleLimit 8 -ErrorAction Stop }
        catch { $caught = $_ }
        $caught | Should -Not -BeNullOrEmpty
        $caught.FullyQualifiedErrorId | Should -BeLike 'AuthenticationFailed,*'
        $caught.Exception.Message | Should -Match 'AccessKeySecret does not belong'
        $caught.Exception.Message | Should -Not -Match 'wrong-secret-value-123'
        (Get-Stats).apiRequests | Should -BeLessOrEqual 20
    }

    It 'a wrong secret with 1,000 rows gives Save-DyplsRecording one terminating error after a handful of requests' {
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

    It 'an authentication failure raises a catchable error every time and never silently stops the calling script' {
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

Describe 'Every wait is bounded' {
    BeforeAll {
        # Runs rows in a child pwsh (so a hang cannot hang this suite) and reports what came out and how long it took.
        function Invoke-BoundedRun([string] $Pipeline, [int] $Rows = 2) {
            $script = (Get-DyplsChildPrelude) + @"
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
