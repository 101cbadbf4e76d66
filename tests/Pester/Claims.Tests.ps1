# The promises of docs/ (errors.md, saving.md, credentials.md), each with a test that goes red when the promise breaks.
# Every ErrorId of the docs' error table comes out of a cmdlet here; the documented defaults are read from the help and
# the docs, never repeated as numbers; MD5, If-Range and the HTTPS upgrade are watched from the server side.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    # The ErrorIds of docs/errors.md's table, in table order (ApiError.<Code> stays as written).
    $errorsDoc = Get-Content -Raw (Join-Path (Get-DyplsRepoRoot) 'docs/errors.md')
    $table = [regex]::Match($errorsDoc, '(?s)\| ErrorId \| Meaning \|\s*\|---\|---\|(?<rows>.*?)\n\n').Groups['rows'].Value
    $script:TableIds = @(foreach ($line in $table -split "`n" | Where-Object { $_ -match '^\|' }) {
            $first = ($line -split '\|')[1]
            foreach ($m in [regex]::Matches($first, '`([A-Za-z.<>]+)`')) { $m.Groups[1].Value }
        }) | Select-Object -Unique
    if ($script:TableIds.Count -lt 20) { throw "The error table of docs/errors.md was not found or changed shape: $($script:TableIds -join ', ')" }
    $script:TableCases = @($script:TableIds | ForEach-Object { @{ ErrorId = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-claims-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    # Every promise of docs/, as one text.
    $script:Docs = (Get-ChildItem (Join-Path (Get-DyplsRepoRoot) 'docs') -Filter *.md | Sort-Object Name | ForEach-Object { Get-Content -Raw $_.FullName }) -join "`n"
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred

    # Every setting a test here may change, at its default: each test returns to this.
    $script:Defaults = @{
        recordingSize = 65536; downloadSlowBytesPerSecond = 0; cutDownloads = 0; cutDownloadsAtBytes = 16384; corruptNextDownloads = 0
        expireNextDownloads = 0; download5xxRate = 0; downloadHeaderStallRate = 0; api5xxRate = 0; apiThrottleRate = 0; apiResetRate = 0
        apiStallRate = 0; serviceUnavailable = $false; clockSkewSeconds = 0; apiLatencyMs = 0; downloadLatencyMs = 0; ramDenyAll = $false
        metadataUnreachable = $false; retryAfterMs = 0; retentionDays = 30
    }
    function Reset-Emulator { Reset-DyplsEmulatorStats $script:Emu }
    function Get-Stats { Get-DyplsEmulatorStats $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting $script:Emu $Settings }
    function Restore-EmulatorSettings { Set-EmulatorSetting $script:Defaults }
    function New-Dest { $d = Join-Path $script:Root ([guid]::NewGuid().ToString('N')); $null = New-Item -ItemType Directory $d; $d }
    function New-Rows([string[]] $Ids, [string] $PoolKey = 'FC1') { $Ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $script:Now; PoolKey = $PoolKey } } }
    function New-Ids([string] $Prefix, [int] $Count = 1) { 1..$Count | ForEach-Object { "$Prefix-$_-" + [guid]::NewGuid().ToString('N').Substring(0, 6) } }
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*' }) }
    function Get-Partials([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -like '.*.dypls-partial' }) }
    function Get-ErrorId($ErrorRecord) { ($ErrorRecord.FullyQualifiedErrorId -split ',')[0] }
    # A signed URL of the emulator for this CallId, valid for an hour.
    function Get-SignedUrl([string] $CallId) { (New-Rows $CallId | Get-DyplsRecordUrl).Url }
    # A loopback port where nothing listens.
    function Get-ClosedPort {
        $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $l.Start()
        $port = $l.LocalEndpoint.Port; $l.Stop(); $port
    }
    # The number a help text gives as "(default N)" for a parameter; for -ThrottleLimit, whose default is `Auto`, the
    # number Auto "starts at".
    function Get-DocumentedDefault([string] $Cmdlet, [string] $Parameter) {
        $text = ((Get-Help $Cmdlet -Parameter $Parameter).description.Text -join ' ')
        $m = if ($Parameter -eq 'ThrottleLimit') {
            if ($text -notmatch '`Auto` \(default\)') { throw "The help of $Cmdlet -ThrottleLimit no longer says Auto is the default: $text" }
            [regex]::Match($text, '`Auto` starts at (\d+)')
        }
        else { [regex]::Match($text, 'default (\d+)') }
        if (-not $m.Success) { throw "The help of $Cmdlet -$Parameter states no default: $text" }
        [int]$m.Groups[1].Value
    }
    # The same from the docs: "`-X` ... default N", or for -ThrottleLimit "The default, `Auto`, starts at N".
    function Get-DocsDefault([string] $Parameter) {
        $pattern = if ($Parameter -eq 'ThrottleLimit') { 'The default,\s+`Auto`, starts at (\d+)' } else { "``-$Parameter``[^.\n]{0,40}?default (\d+)" }
        @([regex]::Matches($script:Docs, $pattern) | ForEach-Object { [int]$_.Groups[1].Value })
    }

    # A child pwsh (own environment, bounded) that runs rows through a cmdlet and reports what came out as JSON.
    function Invoke-ChildRun([string] $Pipeline, [int] $Rows = 1, [hashtable] $Environment = @{}, [string] $Prelude = '') {
        $script = @"
Import-Module `$env:DYPLS_TEST_MODULE
$Prelude
`$rows = 1..$Rows | ForEach-Object { [pscustomobject]@{ CallId = "child-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
`$errs = `$null; `$out = `$null; `$terminating = `$null
try { `$out = `$rows | $Pipeline -ErrorAction SilentlyContinue -ErrorVariable errs } catch { `$terminating = `$_ }
[pscustomobject]@{
    Results = @(@(`$out) | Where-Object { `$_ } | ForEach-Object { `$_.CallId })
    Errors = @(@(`$errs) | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] -and -not [object]::ReferenceEquals(`$_, `$terminating) } | ForEach-Object { `$_.FullyQualifiedErrorId })
    Terminating = if (`$terminating) { [pscustomobject]@{ FullyQualifiedErrorId = `$terminating.FullyQualifiedErrorId; Message = `$terminating.Exception.Message; StopsRun = [bool]`$terminating.Exception.StopsRun } } else { `$null }
} | ConvertTo-Json -Depth 4 -Compress
"@
        $end = Wait-DyplsChildPwsh (Start-DyplsChildPwsh -Script $script -Environment $Environment) -TimeoutSec 120
        if ($end.TimedOut) { throw 'The child run did not finish within 120 s.' }
        if (-not $end.StdOut.Trim()) { throw "The child run printed nothing: $($end.StdErr)" }
        $end.StdOut | ConvertFrom-Json
    }
}

AfterAll {
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Atomic: the MD5 is checked against the ETag' -Tag Claim {
    AfterEach { Restore-EmulatorSettings }

    It 'a body with the right length and one wrong byte is fetched again; the file ends byte-exact' {
        $dest = New-Dest
        $id = New-Ids 'md5'
        $expected = Get-DyplsExpectedMd5 $script:Emu $id
        Set-EmulatorSetting @{ corruptNextDownloads = 1 }
        Reset-Emulator
        $r = New-Rows $id | Save-DyplsRecording -Destination $dest
        $s = Get-Stats
        $s.faultDownloadCorrupt | Should -Be 1 -Because 'the emulator really sent a corrupt body'
        $r.Status | Should -Be 'Downloaded'
        $r.Attempts | Should -Be 2 -Because 'the corrupt body must be refused and fetched again'
        $s.downloadRequests | Should -Be 2
        Get-DyplsFileMd5 $r.Path | Should -Be $expected
        $r.Md5 | Should -Be $expected
        Get-DyplsHiddenFiles $dest | Should -BeNullOrEmpty
    }

    It 'a resumed tail that is corrupt (206) is refused too, and the recording starts over whole' {
        $dest = New-Dest
        $id = New-Ids 'md5tail'
        $expected = Get-DyplsExpectedMd5 $script:Emu $id
        # The first answer is cut at 20000 bytes, the resume (206) is corrupt, the third answer is whole.
        Set-EmulatorSetting @{ cutDownloads = 1; cutDownloadsAtBytes = 20000; corruptNextDownloads = 1 }
        Reset-Emulator
        $r = New-Rows $id | Save-DyplsRecording -Destination $dest
        $s = Get-Stats
        $s.cutDownloads | Should -Be 1
        $s.faultDownloadCorrupt | Should -Be 1
        $s.rangeRequests | Should -Be 1 -Because 'the cut transfer was resumed with Range'
        $r.Attempts | Should -Be 3
        Get-DyplsFileMd5 $r.Path | Should -Be $expected
    }

    It 'a server that only ever sends corrupt bodies gives ChecksumMismatch, and no file ever appears at a final name' {
        $dest = New-Dest
        $id = New-Ids 'md5bad'
        Set-EmulatorSetting @{ corruptNextDownloads = 100 }
        Reset-Emulator
        $watcher = [IO.FileSystemWatcher]::new($dest)
        $watcher.IncludeSubdirectories = $true
        $finalEvents = [Collections.Concurrent.ConcurrentQueue[string]]::new()
        $handler = { param($s, $e) if (-not ([IO.Path]::GetFileName($e.FullPath)).StartsWith('.')) { $finalEvents.Enqueue($e.FullPath) } }.GetNewClosure()
        $watcher.add_Created($handler); $watcher.add_Renamed($handler); $watcher.add_Changed($handler)
        $watcher.EnableRaisingEvents = $true
        $errs = $null
        try { $r = New-Rows $id | Save-DyplsRecording -Destination $dest -MaxAttempts 3 -ErrorAction SilentlyContinue -ErrorVariable errs }
        finally { Start-Sleep -Milliseconds 300; $watcher.Dispose() }
        $r | Should -BeNullOrEmpty
        @($errs).Count | Should -Be 1
        Get-ErrorId $errs[0] | Should -Be 'ChecksumMismatch'
        (Get-Stats).downloadRequests | Should -Be 3
        Get-FinalFiles $dest | Should -BeNullOrEmpty
        @($finalEvents) | Should -BeNullOrEmpty -Because 'a corrupt body must never be renamed to a final name, not even for a moment'
    }
}

Describe 'Resumable: If-Range makes sure it is still the same object' -Tag Claim {
    AfterEach { Restore-EmulatorSettings }

    It 'a recording replaced between two runs comes back whole as the new object, not as old bytes plus a new tail' {
        $dest = New-Dest
        $id = New-Ids 'ifrange'
        $old = Get-DyplsExpectedMd5 $script:Emu $id
        # Run 1 is cut at 30000 bytes and gives up: a partial file of the old object stays.
        Set-EmulatorSetting @{ cutDownloads = 100; cutDownloadsAtBytes = 30000 }
        $errs = $null
        $null = New-Rows $id | Save-DyplsRecording -Destination $dest -MaxAttempts 1 -ErrorAction SilentlyContinue -ErrorVariable errs
        Get-ErrorId $errs[0] | Should -Be 'DownloadInterrupted'
        (Get-Partials $dest)[0].Length | Should -Be 30000
        # The object is uploaded again (same length, other bytes, other ETag).
        Set-EmulatorSetting @{ cutDownloads = 0; recordingVersions = @{ $id = 1 } }
        try {
            $new = Get-DyplsExpectedMd5 $script:Emu $id
            $new | Should -Not -Be $old
            Reset-Emulator
            $r = New-Rows $id | Save-DyplsRecording -Destination $dest
            $s = Get-Stats
        }
        finally { Set-EmulatorSetting @{ recordingVersions = @{ $id = $null } } }
        Get-DyplsFileMd5 $r.Path | Should -Be $new -Because 'the file must be the new object'
        $s.ifRangeIgnored | Should -Be 1 -Because 'the client resumed with an If-Range that no longer matched, and the server sent it all'
        $s.rangeRequests | Should -Be 0 -Because 'no tail of the new object may be appended to old bytes'
        $r.Attempts | Should -Be 1 -Because 'the whole new object came in the first answer'
        $r.Status | Should -Be 'Downloaded'
        $s.downloadBytes | Should -Be 65536
    }
}

Describe 'HTTPS: the downloader itself fetches *.aliyuncs.com over https' -Tag Claim {
    It 'a plain-http Url on an aliyuncs.com host goes out as an https tunnel (CONNECT host:443), never as plain http' {
        $dest = New-Dest
        $id = New-Ids 'https'
        # A real, signed emulator URL moved to an Alibaba Cloud host name, over plain http.
        $url = (Get-SignedUrl $id) -replace '^http://127\.0\.0\.1:\d+/', 'http://dypls-rec.oss-cn-shanghai.aliyuncs.com/'
        $url | Should -BeLike 'http://dypls-rec.oss-cn-shanghai.aliyuncs.com/*'
        $proxy = $script:Endpoint.TrimEnd('/')
        Reset-Emulator
        # The emulator is the child's proxy: a plain GET would reach its bucket (and succeed); an https URL makes the
        # client ask for a tunnel, which the emulator counts and refuses.
        $report = Invoke-ChildRun -Pipeline "ForEach-Object { `$_ | Add-Member Url '$url' -PassThru } | Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Endpoint)' -Credential `$cred -MaxAttempts 1" `
            -Prelude "`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))" `
            -Environment @{ http_proxy = $proxy; https_proxy = $proxy; no_proxy = '127.0.0.1,localhost' }
        $s = Get-Stats
        $s.proxyConnectRequests | Should -Be 1 -Because 'the download must be an https request (a CONNECT tunnel through the proxy)'
        $s.lastProxyConnectTarget | Should -Be 'dypls-rec.oss-cn-shanghai.aliyuncs.com:443'
        $s.downloadRequests | Should -Be 0 -Because 'no plain-http request may carry the URL'
        $s.unroutedRequests | Should -Be 0
        $report.Terminating | Should -BeNullOrEmpty
        @($report.Errors).Count | Should -Be 1
        $report.Errors[0] | Should -BeLike 'DownloadNetworkError,*' -Because 'the proxy refused the tunnel'
        Get-FinalFiles $dest | Should -BeNullOrEmpty
    }
}

Describe 'Every ErrorId of the error table in docs/errors.md comes out of a cmdlet' -Tag Claim {
    BeforeAll {
        $script:ReadOnlyMount = $null
        $script:ReadOnlyProblem = $null
        $script:SmallDisk = $null
        if (-not $IsLinux -or (id -u) -ne '0') { $script:ReadOnlyProblem = 'needs Linux and root to mount a tmpfs' }
        else {
            $ro = Join-Path $script:Root 'ro-mount'; $null = New-Item -ItemType Directory $ro
            $out = & mount -t tmpfs -o ro,size=1m dypls-claims-ro $ro 2>&1
            if ($LASTEXITCODE -eq 0) { $script:ReadOnlyMount = $ro } else { $script:ReadOnlyProblem = "mount -t tmpfs -o ro failed: $out" }
            $small = Join-Path $script:Root 'small-disk'; $null = New-Item -ItemType Directory $small
            $out = & mount -t tmpfs -o size=192k dypls-claims-small $small 2>&1
            if ($LASTEXITCODE -eq 0) { $script:SmallDisk = $small } else { $script:ReadOnlyProblem = "mount -t tmpfs failed: $out" }
        }
        if ($script:ReadOnlyProblem) { Write-Warning "DestinationNotWritable/DiskFull ARE SKIPPED, NOT PASSED: $($script:ReadOnlyProblem)" }

        # Each scenario: Rows (how many), Expect 'Row' (one non-terminating error per row, with the row as TargetObject)
        # or 'Once' (one terminating error for the whole run, StopsRun where the table says so), and Run, which gets
        # the rows and a fresh destination and returns @{ Errors; Terminating } (ErrorRecords, or the child's report).
        # A CLI profile file whose profiles fail in each of the ways the credential chain names (nothing is sent).
        $script:BadProfilesHome = Join-Path ([IO.Path]::GetTempPath()) ('dypls-badprofiles-' + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory -Force (Join-Path $script:BadProfilesHome '.aliyun')
        @{ current = 'sso'; profiles = @(
                @{ name = 'sso'; mode = 'CloudSSO'; cloud_sso_sign_in_url = 'https://signin.example.com/device/login' },
                @{ name = 'weird'; mode = 'NoSuchMode' },
                @{ name = 'halfak'; mode = 'AK'; access_key_id = 'LTAI5tHalfAKOnly0001' },
                @{ name = 'loop'; mode = 'ChainableRamRoleArn'; source_profile = 'loop'; ram_role_arn = 'acs:ram::1:role/x'; ram_session_name = 's' },
                @{ name = 'badsts'; mode = 'RamRoleArn'; access_key_id = 'LTAI5tBadStsSource01'; access_key_secret = 'not-used-000000000000001'; ram_role_arn = 'acs:ram::1:role/x'; ram_session_name = 's'; sts_endpoint = 'http://sts.example.com' }
            ) } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $script:BadProfilesHome '.aliyun/config.json')
        $badProfile = { param([string] $Name) @{ Pipeline = "Get-DyplsRecordUrl -Endpoint '{0}' -ProfileName $Name -ThrottleLimit 4"; Environment = @{ HOME = $script:BadProfilesHome; USERPROFILE = $script:BadProfilesHome } } }
        $script:Scenarios = @{
            'MissingCallId'          = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_.CallId = '   ' }; $rows | Get-DyplsRecordUrl @args } }
            'InvalidCallId'          = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_.CallId = 'x' * 101 }; $rows | Get-DyplsRecordUrl @args } }
            'MissingPoolKey'         = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_.PoolKey = '' }; $rows | Get-DyplsRecordUrl @args } }
            'InvalidCallTime'        = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_.CallTime = 'not a time' }; $rows | Get-DyplsRecordUrl @args } }
            'DownloadInterrupted'    = @{ Expect = 'Row'; Settings = @{ cutDownloads = 100; cutDownloadsAtBytes = 20000 }; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $dest -MaxAttempts 2 @args }
                Check = { param($dest) @(Get-Partials $dest).Count | Should -Be 2 -Because 'what was saved stays in a .dypls-partial file' } }
            'DownloadStalled'        = @{ Expect = 'Row'; Settings = @{ downloadHeaderStallRate = 1 }; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $dest -TimeoutSec 1 -MaxAttempts 1 @args } }
            'DownloadServerError'    = @{ Expect = 'Row'; Settings = @{ download5xxRate = 1 }; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $dest -MaxAttempts 2 @args } }
            'DownloadNetworkError'   = @{ Expect = 'Row'; Run = { param($rows, $dest) $port = Get-ClosedPort; $rows | ForEach-Object { $_ | Add-Member Url "http://127.0.0.1:$port/rec/$($_.CallId).mp3" }; $rows | Save-DyplsRecording -Destination $dest -MaxAttempts 2 @args } }
            'ChecksumMismatch'       = @{ Expect = 'Row'; Settings = @{ corruptNextDownloads = 100 }; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $dest -MaxAttempts 2 @args } }
            'DownloadUrlExpired'     = @{ Expect = 'Row'; Rows = 1; Settings = @{ expireNextDownloads = 100 }; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $dest @args }
                Check = {
                    $s = Get-Stats
                    $s.apiRequests | Should -Be 4 -Because 'the first URL and at most 3 fresh ones'
                    $s.expiredDownloads | Should -Be 4
                } }
            'DownloadAccessDenied'   = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_ | Add-Member Url ((Get-SignedUrl $_.CallId) -replace 'Signature=[^&]+', 'Signature=bm90LXRoZS1zaWduYXR1cmU%3D') }; Reset-Emulator; $rows | Save-DyplsRecording -Destination $dest @args }
                Check = { (Get-Stats).apiRequests | Should -Be 0 -Because 'a refused (not expired) URL is not refreshed' } }
            'DownloadFailed'         = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_ | Add-Member Url ($script:Endpoint + '?object=' + $_.CallId + '.mp3') }; $rows | Save-DyplsRecording -Destination $dest @args } }
            'InvalidDownloadUrl'     = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_ | Add-Member Url "ftp://example.com/$($_.CallId).mp3" }; $rows | Save-DyplsRecording -Destination $dest @args } }
            'InsecureDownloadUrl'    = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_ | Add-Member Url "http://recordings.example.com/$($_.CallId).mp3" }; $rows | Save-DyplsRecording -Destination $dest @args } }
            'RecordingBusy'          = @{ Expect = 'Row'; Rows = 1; Run = {
                    param($rows, $dest)
                    # Another owner that holds the lock and shows no sign of life: the row waits 3 x -TimeoutSec, at least 30 s.
                    $lock = [IO.FileStream]::new((Join-Path $dest ".$($rows[0].CallId).dypls-lock"), 'OpenOrCreate', 'ReadWrite', 'None')
                    try { $rows | Save-DyplsRecording -Destination $dest -TimeoutSec 1 @args } finally { $lock.Dispose() }
                } }
            'DestinationNotWritable' = @{ Expect = 'Once'; NeedsMount = 'ReadOnlyMount'; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $script:ReadOnlyMount @args } }
            'InvalidFileName'        = @{ Unreachable = 'a CallId always yields a usable name inside -Destination (FileNameSanitizer); the check is defence in depth and only path APIs that reject a sanitized name (not Linux) reach it' }
            'DestinationNotAFolder'  = @{ Expect = 'Once'; Run = { param($rows, $dest) $f = Join-Path $dest 'a-file'; 'x' | Set-Content $f; $rows | Save-DyplsRecording -Destination $f @args } }
            'InvalidDestination'     = @{ Expect = 'Once'; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination 'Env:\DyplsNotAFolder' @args } }
            'InvalidFileNameTemplate' = @{ Expect = 'Once'; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{Oops}' @args } }
            'RecordingNotAvailable'  = @{ Expect = 'Row'; Run = { param($rows, $dest) $rows | ForEach-Object { $_.CallId = 'norecord-' + $_.CallId }; $rows | Get-DyplsRecordUrl @args } }
            'Throttled'              = @{ Expect = 'Row'; Settings = @{ apiThrottleRate = 1 }; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -MaxAttempts 2 @args } }
            'ServiceUnavailable'     = @{ Expect = 'Row'; Settings = @{ serviceUnavailable = $true }; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -MaxAttempts 2 @args } }
            'RequestTimeout'         = @{ Expect = 'Row'; Settings = @{ apiStallRate = 1 }; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -TimeoutSec 1 -MaxAttempts 1 @args } }
            'NetworkError'           = @{ Expect = 'Row'; Settings = @{ apiResetRate = 1 }; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -MaxAttempts 2 @args } }
            'ApiError.<Code>'        = @{ Expect = 'Row'; Id = 'ApiError.isv.POOLKEY_NOT_EXISTS'; Run = { param($rows, $dest) $rows | ForEach-Object { $_.PoolKey = 'NOPOOL' }; $rows | Get-DyplsRecordUrl @args }
                CheckError = {
                    param($e)
                    $e.Exception.Code | Should -Be 'isv.POOLKEY_NOT_EXISTS'
                    $e.Exception.RequestId | Should -Match '^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$'
                } }
            'AuthenticationFailed'   = @{ Expect = 'Once'; Rows = 50; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -Credential (New-DyplsDemoCredential -Secret 'not-the-secret-0001') -ThrottleLimit 4 @args } }
            'ActionDenied'           = @{ Expect = 'Once'; Rows = 50; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -Credential (New-DyplsDemoCredential -Denied) -ThrottleLimit 4 @args } }
            'CredentialSourceFailed' = @{ Expect = 'Once'; Rows = 50; Settings = @{ metadataUnreachable = $true }; Child = @{ Pipeline = "Get-DyplsRecordUrl -Endpoint '{0}' -ThrottleLimit 4 -TimeoutSec 2"; Environment = @{ ALIBABA_CLOUD_ECS_METADATA = 'DyplsNoSuchRole' } } }
            'ClockSkew'              = @{ Expect = 'Once'; Rows = 50; Settings = @{ clockSkewSeconds = 1200 }; Run = { param($rows, $dest) $rows | Get-DyplsRecordUrl -ThrottleLimit 4 @args }
                Check = { (Get-Stats).apiRequests | Should -BeLessOrEqual 8 -Because 'only the 4 rows in flight, each signed again once with the clock offset' } }
            'CredentialNotFound'     = @{ Expect = 'Once'; Rows = 50; Child = @{ Pipeline = "Get-DyplsRecordUrl -Endpoint '{0}' -ThrottleLimit 4"; Environment = @{} }
                Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'ProfileNotFound'        = @{ Expect = 'Once'; Rows = 50; Child = @{ Pipeline = "Save-DyplsRecording -Destination (Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid())) -Endpoint '{0}' -ProfileName dypls-no-such-profile -ThrottleLimit 4"; Environment = @{} }
                Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'InteractiveProfileMode' = @{ Expect = 'Once'; Rows = 50; Child = (& $badProfile 'sso'); Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'UnsupportedProfileMode' = @{ Expect = 'Once'; Rows = 50; Child = (& $badProfile 'weird'); Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'IncompleteProfile'      = @{ Expect = 'Once'; Rows = 50; Child = (& $badProfile 'halfak'); Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'InvalidProfile'         = @{ Expect = 'Once'; Rows = 50; Child = (& $badProfile 'loop'); Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'InvalidStsEndpoint'     = @{ Expect = 'Once'; Rows = 50; Child = (& $badProfile 'badsts'); Check = { (Get-Stats).apiRequests | Should -Be 0 } }
            'DiskFull'               = @{ Expect = 'Once'; Rows = 20; NeedsMount = 'SmallDisk'; Run = { param($rows, $dest) $rows | Save-DyplsRecording -Destination $script:SmallDisk -ThrottleLimit 2 @args } }
        }
    }
    AfterAll {
        Restore-EmulatorSettings
        foreach ($m in $script:ReadOnlyMount, $script:SmallDisk) { if ($m) { & umount $m 2>&1 | Out-Null } }
        if ($script:BadProfilesHome) { Remove-Item -Recurse -Force $script:BadProfilesHome -ErrorAction SilentlyContinue }
    }
    AfterEach { Restore-EmulatorSettings }

    It '<ErrorId>' -ForEach $script:TableCases {
        $scenario = $script:Scenarios[$ErrorId]
        $scenario | Should -Not -BeNullOrEmpty -Because "docs/errors.md lists $ErrorId, so a test must produce it: add a scenario"
        if ($scenario.Unreachable) { Set-ItResult -Skipped -Because "NOT TESTED, unreachable from a cmdlet on this platform: $($scenario.Unreachable)"; return }
        if ($scenario.NeedsMount -and -not (Get-Variable -Scope Script -Name $scenario.NeedsMount -ValueOnly)) {
            Set-ItResult -Skipped -Because "NOT TESTED: $($script:ReadOnlyProblem)"; return
        }
        $id = if ($scenario.Id) { $scenario.Id } else { $ErrorId }
        $n = if ($scenario.Rows) { $scenario.Rows } else { 2 }
        if ($scenario.Settings) { Set-EmulatorSetting $scenario.Settings }
        Reset-Emulator
        $dest = New-Dest
        if ($scenario.Child) {
            $report = Invoke-ChildRun -Rows $n -Pipeline ($scenario.Child.Pipeline -f $script:Endpoint) -Environment (@{ DYPLS_ECS_METADATA_ENDPOINT = $script:Endpoint } + $scenario.Child.Environment)
            $errors = @($report.Errors | ForEach-Object { [pscustomobject]@{ FullyQualifiedErrorId = $_ } })
            $terminating = $report.Terminating
            $stopsRun = if ($terminating) { $terminating.StopsRun } else { $null }
        }
        else {
            $rows = @(New-Rows (New-Ids ($ErrorId -replace '[^A-Za-z]', '').ToLowerInvariant() $n))
            $errs = $null; $terminating = $null
            # Dot-sourced, so -ErrorVariable lands in this scope.
            try { $null = . $scenario.Run $rows $dest -ErrorAction SilentlyContinue -ErrorVariable errs } catch { $terminating = $_ }
            $errors = @(@($errs) | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] -and -not [object]::ReferenceEquals($_, $terminating) })
            $stopsRun = if ($terminating) { [bool]$terminating.Exception.StopsRun } else { $null }
        }
        if ($scenario.Expect -eq 'Row') {
            $terminating | Should -BeNullOrEmpty -Because "$ErrorId is a per-row error, but the run stopped: $($terminating.FullyQualifiedErrorId) $($terminating.Exception.Message)"
            @($errors).Count | Should -Be $n -Because "one error per row: $(@($errors | ForEach-Object { $_.FullyQualifiedErrorId }) -join ', ')"
            foreach ($e in $errors) {
                $e.FullyQualifiedErrorId | Should -BeLike "$id,*"
                $e.TargetObject | Should -BeIn $rows -Because 'the row is the TargetObject'
                $e.Exception.StopsRun | Should -BeFalse
                if ($scenario.CheckError) { & $scenario.CheckError $e }
            }
        }
        else {
            $terminating | Should -Not -BeNullOrEmpty -Because "$ErrorId must stop the run once; it gave $(@($errors).Count) errors such as $(@($errors)[0].FullyQualifiedErrorId)"
            $terminating.FullyQualifiedErrorId | Should -BeLike "$id,*"
            @($errors).Count | Should -Be 0 -Because "raised once, whatever the number of rows ($n)"
            if ($ErrorId -in 'AuthenticationFailed', 'ActionDenied', 'CredentialSourceFailed', 'ClockSkew', 'CredentialNotFound', 'ProfileNotFound', 'DestinationNotWritable', 'DiskFull') {
                $stopsRun | Should -BeTrue -Because 'the table says $_.Exception.StopsRun is $true'
            }
        }
        if ($scenario.Check) { & $scenario.Check $dest }
    }
}

Describe 'The documented defaults' -Tag Claim {
    AfterEach { Restore-EmulatorSettings }

    It 'the help and the docs agree on the default of -<Parameter> for <Cmdlet>' -ForEach @(
        foreach ($c in 'Get-DyplsRecordUrl', 'Save-DyplsRecording') { foreach ($p in 'MaxAttempts', 'TimeoutSec', 'ConnectTimeoutSec', 'ThrottleLimit') { @{ Cmdlet = $c; Parameter = $p } } }
    ) {
        $help = Get-DocumentedDefault $Cmdlet $Parameter
        $readme = Get-DocsDefault $Parameter
        $readme | Should -Not -BeNullOrEmpty -Because "the docs document the default of -$Parameter"
        foreach ($r in $readme) { $help | Should -Be $r -Because "the help of $Cmdlet and the docs must state the same default for -$Parameter" }
    }

    It '-MaxAttempts: <Cmdlet> makes the documented number of attempts' -ForEach @(
        @{ Cmdlet = 'Get-DyplsRecordUrl'; Setting = 'api5xxRate'; Counter = 'apiRequests'; ErrorId = 'ServiceUnavailable|InternalError' }
        @{ Cmdlet = 'Save-DyplsRecording'; Setting = 'download5xxRate'; Counter = 'downloadRequests'; ErrorId = 'DownloadServerError' }
    ) {
        $documented = Get-DocumentedDefault $Cmdlet 'MaxAttempts'
        Set-EmulatorSetting @{ $Setting = 1 }
        Reset-Emulator
        $errs = $null
        $rows = New-Rows (New-Ids 'maxatt')
        if ($Cmdlet -eq 'Save-DyplsRecording') { $null = $rows | Save-DyplsRecording -Destination (New-Dest) -ErrorAction SilentlyContinue -ErrorVariable errs }
        else { $null = $rows | Get-DyplsRecordUrl -ErrorAction SilentlyContinue -ErrorVariable errs }
        @($errs).Count | Should -Be 1
        (Get-Stats).$Counter | Should -Be $documented
        $errs[0].Exception.Message | Should -Match "after $documented attempts"
    }

    It '-TimeoutSec: <Cmdlet> gives up on an API call that never answers after the documented time' -ForEach @(
        @{ Cmdlet = 'Get-DyplsRecordUrl' }, @{ Cmdlet = 'Save-DyplsRecording' }
    ) {
        $documented = Get-DocumentedDefault $Cmdlet 'TimeoutSec'
        Set-EmulatorSetting @{ apiStallRate = 1 }
        Reset-Emulator
        $errs = $null
        $rows = New-Rows (New-Ids 'timeout')
        $clock = [Diagnostics.Stopwatch]::StartNew()
        if ($Cmdlet -eq 'Save-DyplsRecording') { $null = $rows | Save-DyplsRecording -Destination (New-Dest) -MaxAttempts 1 -ErrorAction SilentlyContinue -ErrorVariable errs }
        else { $null = $rows | Get-DyplsRecordUrl -MaxAttempts 1 -ErrorAction SilentlyContinue -ErrorVariable errs }
        $seconds = $clock.Elapsed.TotalSeconds
        Get-ErrorId $errs[0] | Should -Be 'RequestTimeout'
        (Get-Stats).faultApiStall | Should -Be 1
        # A timer never fires early; a loaded machine only makes it late, hence the generous upper bound.
        $seconds | Should -BeGreaterOrEqual ($documented * 0.95)
        $seconds | Should -BeLessOrEqual ($documented * 3 + 10)
    }

    It '-ConnectTimeoutSec: <Cmdlet> gives up on a connection that is never accepted after the documented time' -ForEach @(
        @{ Cmdlet = 'Get-DyplsRecordUrl' }, @{ Cmdlet = 'Save-DyplsRecording' }
    ) {
        $documented = Get-DocumentedDefault $Cmdlet 'ConnectTimeoutSec'
        # A listener whose backlog is full: the kernel drops further SYNs, so a connect hangs until the client gives up.
        $listener = [System.Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp')
        $listener.Bind([System.Net.IPEndPoint]::new([System.Net.IPAddress]::Loopback, 0)); $listener.Listen(1)
        $port = $listener.LocalEndPoint.Port
        $fillers = foreach ($i in 1..4) { $c = [System.Net.Sockets.Socket]::new('InterNetwork', 'Stream', 'Tcp'); $c.Blocking = $false; try { $c.Connect('127.0.0.1', $port) } catch { }; $c }
        try {
            Start-Sleep -Milliseconds 300
            $probe = [System.Net.Sockets.TcpClient]::new()
            $probe.ConnectAsync('127.0.0.1', $port).Wait(1000) | Should -BeFalse -Because 'the test needs a connect that hangs'
            $probe.Dispose()
            $errs = $null
            $rows = New-Rows (New-Ids 'connect')
            $clock = [Diagnostics.Stopwatch]::StartNew()
            # -TimeoutSec far above the connect timeout: only the connect timeout can end the attempt early.
            $common = @{ Endpoint = "http://127.0.0.1:$port/"; TimeoutSec = 120; MaxAttempts = 1; ErrorAction = 'SilentlyContinue'; ErrorVariable = 'errs' }
            if ($Cmdlet -eq 'Save-DyplsRecording') { $null = $rows | Save-DyplsRecording -Destination (New-Dest) @common }
            else { $null = $rows | Get-DyplsRecordUrl @common }
            $seconds = $clock.Elapsed.TotalSeconds
        }
        finally { $fillers | ForEach-Object { $_.Dispose() }; $listener.Dispose() }
        @($errs).Count | Should -Be 1
        Get-ErrorId $errs[0] | Should -BeIn @('NetworkError', 'RequestTimeout')
        $seconds | Should -BeGreaterOrEqual ($documented * 0.95)
        $seconds | Should -BeLessOrEqual ($documented * 3 + 10) -Because 'the connect timeout, not -TimeoutSec 120, must end the attempt'
    }

    It '-ThrottleLimit: <Cmdlet> starts with the documented number of rows in flight (Auto)' -ForEach @(
        @{ Cmdlet = 'Get-DyplsRecordUrl'; Setting = 'apiLatencyMs' }, @{ Cmdlet = 'Save-DyplsRecording'; Setting = 'downloadLatencyMs' }
    ) {
        $documented = Get-DocumentedDefault $Cmdlet 'ThrottleLimit'
        # Slow answers: every row in flight sits on the server at once, where the emulator counts them. As many rows as
        # Auto starts with: the first wave is all there is, so Auto has no time to raise it.
        Set-EmulatorSetting @{ $Setting = 2500 }
        Reset-Emulator
        $rows = New-Rows (New-Ids 'throttle' $documented)
        if ($Cmdlet -eq 'Save-DyplsRecording') { $out = $rows | Save-DyplsRecording -Destination (New-Dest) }
        else { $out = $rows | Get-DyplsRecordUrl }
        @($out).Count | Should -Be $documented
        (Get-Stats).maxConcurrentRequests | Should -BeGreaterOrEqual $documented -Because 'Auto starts with this many rows in flight at once'
        # And never fewer than documented with more rows than that: one more row waits for a free slot.
        Reset-Emulator
        $rows = New-Rows (New-Ids 'throttle' ($documented + 4))
        if ($Cmdlet -eq 'Save-DyplsRecording') { $out = $rows | Save-DyplsRecording -Destination (New-Dest) -ThrottleLimit $documented }
        else { $out = $rows | Get-DyplsRecordUrl -ThrottleLimit $documented }
        $stats = Get-Stats
        if ($Cmdlet -eq 'Save-DyplsRecording') {
            # -ThrottleLimit counts downloads; URLs are fetched ahead for as many rows again (at most that many API calls at once).
            $stats.maxConcurrentDownloads | Should -BeLessOrEqual $documented -Because 'a fixed -ThrottleLimit bounds the downloads in flight'
            $stats.maxConcurrentDownloads | Should -BeGreaterOrEqual $documented -Because 'with slow downloads every slot is used'
            $stats.maxConcurrentRequests | Should -BeLessOrEqual (2 * $documented + 1) -Because 'downloads plus the URL look-ahead (plus the reset request)'
        }
        else {
            $stats.maxConcurrentRequests | Should -BeLessOrEqual ($documented + 1) -Because 'a fixed -ThrottleLimit bounds the rows in flight (plus the reset request)'
        }
    }
}

Describe 'Streaming, stopping, confirming, progress' -Tag Claim {
    AfterEach { Restore-EmulatorSettings }

    It 'the first recording is on disk before the input has ended (a slow generator)' {
        $dest = New-Dest
        $ids = New-Ids 'stream' 3
        $first = Join-Path $dest "$($ids[0]).mp3"
        $seen = @{ FirstBeforeEnd = $false }
        $generator = {
            [pscustomobject]@{ CallId = $ids[0]; CallTime = $script:Now; PoolKey = 'FC1' }
            # The input waits for the first file: a cmdlet that read all its input first would never get past here.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while (-not (Test-Path -LiteralPath $first) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 25 }
            $seen.FirstBeforeEnd = Test-Path -LiteralPath $first
            foreach ($id in $ids[1..2]) { [pscustomobject]@{ CallId = $id; CallTime = $script:Now; PoolKey = 'FC1' } }
        }
        $out = & $generator | Save-DyplsRecording -Destination $dest
        $seen.FirstBeforeEnd | Should -BeTrue -Because 'downloads start while the input is still being read'
        $out.CallId | Should -Be $ids
    }

    It 'Ctrl+C (stopping the pipeline) leaves the partial files, and the next run resumes them' {
        $dest = New-Dest
        $ids = New-Ids 'ctrlc' 6
        $size = 1MB
        Set-EmulatorSetting @{ recordingSize = $size }
        $expected = @{}; foreach ($id in $ids) { $expected[$id] = Get-DyplsExpectedMd5 $script:Emu $id }
        # Slow bodies: each transfer takes seconds, so the stop lands mid-transfer.
        Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 262144 }
        $ps = [powershell]::Create()
        $null = $ps.AddScript({
                param($Module, $Endpoint, $Id, $Secret, $Now, $Dest, $Ids)
                Import-Module $Module
                $cred = [pscredential]::new($Id, (ConvertTo-SecureString $Secret -AsPlainText -Force))
                $Ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $Now; PoolKey = 'FC1' } } |
                    Save-DyplsRecording -Destination $Dest -Endpoint $Endpoint -Credential $cred -ThrottleLimit 3
            }).AddParameters(@{ Module = (Get-DyplsModulePath); Endpoint = $script:Endpoint; Id = $script:Keys.AccessKeyId; Secret = $script:Keys.AccessKeySecret; Now = $script:Now; Dest = $dest; Ids = $ids })
        $async = $ps.BeginInvoke()
        # Stop when the server has sent part of at least two bodies and they are on disk (counters and files, not a clock).
        $deadline = [DateTime]::UtcNow.AddSeconds(90)
        while ([DateTime]::UtcNow -lt $deadline -and @(Get-Partials $dest | Where-Object { $_.Length -ge 65536 -and (Test-Path -LiteralPath ($_.FullName + '.meta')) }).Count -lt 2) { Start-Sleep -Milliseconds 25 }
        $ps.Stop()
        $ps.InvocationStateInfo.State | Should -Be 'Stopped'
        $ps.Dispose()
        $finals = Get-FinalFiles $dest
        $partials = @(Get-Partials $dest | Where-Object { $_.Length -gt 0 -and (Test-Path -LiteralPath ($_.FullName + '.meta')) })
        $partials.Count | Should -BeGreaterOrEqual 2 -Because 'the stop must leave the partial files with what was saved'
        foreach ($f in $finals) { $f.Length | Should -Be $size }
        $reused = ($partials | Measure-Object Length -Sum).Sum
        $resumable = @($partials | Where-Object Length -lt $size).Count

        Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 0 }
        Reset-Emulator
        $again = New-Rows $ids | Save-DyplsRecording -Destination $dest
        $s = Get-Stats
        @($again | Where-Object Status -eq 'Resumed').Count | Should -BeGreaterOrEqual $resumable
        $s.rangeRequests | Should -Be $resumable -Because 'each partial file is resumed with Range'
        $s.downloadBytes | Should -Be (($ids.Count - $finals.Count) * $size - $reused) -Because 'every saved byte is reused, none fetched twice'
        foreach ($r in $again) { Get-DyplsFileMd5 $r.Path | Should -Be $expected[$r.CallId] }
        Get-DyplsHiddenFiles $dest | Should -BeNullOrEmpty
    }

    It '-Confirm asks once per recording and saves only what was confirmed' {
        $dest = New-Dest
        $ids = New-Ids 'confirm' 3
        $script = @"
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
`$ProgressPreference = 'SilentlyContinue'
`$out = '$($ids -join ',')' -split ',' | ForEach-Object { [pscustomobject]@{ CallId = `$_; CallTime = '$($script:Now)'; PoolKey = 'FC1' } } |
    Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Endpoint)' -Credential `$cred -Confirm
'RESULT ' + ((@(`$out) | ForEach-Object { `$_.CallId + '=' + `$_.Status }) -join ',')
"@
        $cmd = Get-PwshCommand
        $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
        foreach ($a in ($cmd | Select-Object -Skip 1)) { $psi.ArgumentList.Add($a) }
        foreach ($a in '-NoProfile', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))) { $psi.ArgumentList.Add($a) }
        $psi.Environment['DYPLS_TEST_MODULE'] = Get-DyplsModulePath
        $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
        Reset-Emulator
        $p = [Diagnostics.Process]::Start($psi)
        foreach ($answer in 'Y', 'N', 'Y') { $p.StandardInput.WriteLine($answer) }
        $p.StandardInput.Close()
        $errTask = $p.StandardError.ReadToEndAsync()
        $out = $p.StandardOutput.ReadToEndAsync()
        if (-not $p.WaitForExit(120000)) { $p.Kill($true); throw 'the -Confirm run hung' }
        $text = $out.Result
        ([regex]::Matches($text, 'Performing the operation "Save recording"')).Count | Should -Be 3 -Because "one question per recording: $text $($errTask.Result)"
        $text | Should -Match ("RESULT {0}=Downloaded,{1}=Downloaded" -f $ids[0], $ids[2])
        (Get-Stats).apiRequests | Should -Be 2 -Because 'nothing is asked for the recording that was declined'
        @(Get-FinalFiles $dest).Name | Should -Be @("$($ids[0]).mp3", "$($ids[2]).mp3")
    }

    It 'honours $ProgressPreference (not only -ProgressAction)' {
        $progress = @{}
        foreach ($preference in 'SilentlyContinue', 'Continue') {
            $ps = [powershell]::Create()
            $null = $ps.AddScript({
                    param($Module, $Endpoint, $Id, $Secret, $Now, $Dest, $Preference)
                    Import-Module $Module
                    $cred = [pscredential]::new($Id, (ConvertTo-SecureString $Secret -AsPlainText -Force))
                    $ProgressPreference = $Preference
                    1..20 | ForEach-Object { [pscustomobject]@{ CallId = "pp-$_"; CallTime = $Now; PoolKey = 'FC1' } } |
                        Save-DyplsRecording -Destination $Dest -Endpoint $Endpoint -Credential $cred | Out-Null
                }).AddParameters(@{ Module = (Get-DyplsModulePath); Endpoint = $script:Endpoint; Id = $script:Keys.AccessKeyId; Secret = $script:Keys.AccessKeySecret; Now = $script:Now; Dest = (New-Dest); Preference = $preference })
            $null = $ps.Invoke()
            $ps.HadErrors | Should -BeFalse
            $progress[$preference] = @($ps.Streams.Progress).Count
            $ps.Dispose()
        }
        $progress['SilentlyContinue'] | Should -Be 0 -Because '$ProgressPreference = SilentlyContinue must silence the bar'
        $progress['Continue'] | Should -BeGreaterThan 0 -Because 'the same run with Continue shows it (so the test can see progress at all)'
    }
}

Describe 'File names and what counts as saved' -Tag Claim {
    AfterEach { Restore-EmulatorSettings }

    It '{CallMonth} makes a yyyy-MM folder of the Beijing call time' {
        $dest = New-Dest
        $id = New-Ids 'month'
        Set-EmulatorSetting @{ retentionDays = 400 }
        # 16:30 UTC on the last day of a month is already the next month in Beijing.
        $utc = [DateTimeOffset]::new([datetime]::UtcNow.Year, [datetime]::UtcNow.Month, 1, 16, 30, 0, [TimeSpan]::Zero).AddDays(-1)
        $r = [pscustomobject]@{ CallId = $id; CallTime = $utc; PoolKey = 'FC1' } | Save-DyplsRecording -Destination $dest -FileNameTemplate '{CallMonth}/{CallId}'
        $month = $utc.ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM')
        $month | Should -Not -Be $utc.ToString('yyyy-MM')
        $r.Path | Should -Be (Join-Path $dest "$month/$id.mp3")
        Test-Path -LiteralPath $r.Path | Should -BeTrue
    }

    It 'an existing .wav counts as saved: skipped, no API call, the file untouched' {
        $dest = New-Dest
        $id = New-Ids 'wav'
        $wav = Join-Path $dest "$id.wav"
        [IO.File]::WriteAllBytes($wav, [byte[]](1..100))
        Reset-Emulator
        $r = New-Rows $id | Save-DyplsRecording -Destination $dest
        $r.Status | Should -Be 'Skipped'
        $r.Path | Should -Be $wav
        (Get-Stats).apiRequests | Should -Be 0
        (Get-Item $wav).Length | Should -Be 100
        Test-Path (Join-Path $dest "$id.mp3") | Should -BeFalse
    }

    It 'the example of docs/saving.md holds: a:b becomes a_b~6783a31e, while a_b stays a_b' {
        $m = [regex]::Match($script:Docs, '\(`a:b` → `(?<changed>[^`]+)`, while `a_b` stays `(?<kept>[^`]+)`\)')
        $m.Success | Should -BeTrue -Because 'docs/saving.md states the example'
        $dest = New-Dest
        $r = New-Rows 'a:b', 'a_b' | Save-DyplsRecording -Destination $dest
        Split-Path -Leaf $r[0].Path | Should -Be ($m.Groups['changed'].Value + '.mp3')
        Split-Path -Leaf $r[1].Path | Should -Be ($m.Groups['kept'].Value + '.mp3')
        Get-DyplsFileMd5 $r[0].Path | Should -Be (Get-DyplsExpectedMd5 $script:Emu 'a:b')
        Get-DyplsFileMd5 $r[1].Path | Should -Be (Get-DyplsExpectedMd5 $script:Emu 'a_b')
    }

    It 'CallIds and PoolKeys are trimmed of surrounding whitespace, as docs/saving.md says: the output carries the trimmed values (<_>)' -ForEach @('Get-DyplsRecordUrl', 'Save-DyplsRecording') {
        $script:Docs | Should -Match 'trimmed of surrounding whitespace'
        $id = New-Ids 'trim'
        $row = [pscustomobject]@{ CallId = "  $id`t "; CallTime = $script:Now; PoolKey = ' FC1  ' }
        $dest = New-Dest
        $r = if ($_ -eq 'Save-DyplsRecording') { $row | Save-DyplsRecording -Destination $dest } else { $row | Get-DyplsRecordUrl }
        $r.CallId | Should -BeExactly $id
        $r.PoolKey | Should -BeExactly 'FC1'
        if ($_ -eq 'Save-DyplsRecording') {
            $r.Path | Should -Be (Join-Path $dest "$id.mp3")
            Get-DyplsFileMd5 $r.Path | Should -Be (Get-DyplsExpectedMd5 $script:Emu $id) -Because 'the trimmed CallId is the one asked for'
        }
    }
}

Describe 'Credentials: the metadata address is never probed unasked' -Tag Claim {
    It 'without ALIBABA_CLOUD_ECS_METADATA no request reaches a metadata server, with or without other credentials' {
        Reset-Emulator
        # The emulator serves the metadata API (and counts every request to it) at the address Dypls would probe.
        $env = @{ DYPLS_ECS_METADATA_ENDPOINT = $script:Endpoint }
        $none = Invoke-ChildRun -Rows 5 -Pipeline "Get-DyplsRecordUrl -Endpoint '$($script:Endpoint)'" -Environment $env
        $none.Terminating.FullyQualifiedErrorId | Should -BeLike 'CredentialNotFound,*'
        $withKeys = Invoke-ChildRun -Rows 5 -Pipeline "Get-DyplsRecordUrl -Endpoint '$($script:Endpoint)'" -Environment ($env + @{ ALIBABA_CLOUD_ACCESS_KEY_ID = $script:Keys.AccessKeyId; ALIBABA_CLOUD_ACCESS_KEY_SECRET = $script:Keys.AccessKeySecret })
        @($withKeys.Results).Count | Should -Be 5
        (Get-Stats).metadataRequests | Should -Be 0 -Because 'the metadata service is asked only when ALIBABA_CLOUD_ECS_METADATA names a role'
        # The counter works: asked for, the metadata service is used.
        $asked = Invoke-ChildRun -Rows 1 -Pipeline "Get-DyplsRecordUrl -Endpoint '$($script:Endpoint)' -TimeoutSec 2" -Environment ($env + @{ ALIBABA_CLOUD_ECS_METADATA = 'DyplsNoSuchRole' })
        $asked.Terminating | Should -Not -BeNullOrEmpty
        (Get-Stats).metadataRequests | Should -BeGreaterThan 0
    }
}
