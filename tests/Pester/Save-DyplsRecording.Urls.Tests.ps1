# Save-DyplsRecording and the Url a row brings: Get-DyplsRecordUrl's output is used without new API calls, an expired
# Url is replaced (before use, or after the download server's 403), and a plain-http Url on a foreign host is refused
# per row and never requested while loopback http works. Against the built module and a real emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-urls-" + [guid]::NewGuid().ToString('N'))
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
}

AfterAll {
    # $PSDefaultParameterValues is global: leave nothing behind for the next test file.
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'The Url a row brings' {
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

    It 'a plain-http Url on a foreign host is refused per row with InsecureDownloadUrl and never requested; loopback http works' {
        $dest = New-Dest
        $expires = [DateTimeOffset]::UtcNow.AddHours(1).ToUnixTimeSeconds()
        $foreign = "http://recordings.example.com/secret-axb-record-files/x.mp3?Expires=$expires&OSSAccessKeyId=LTAI5tForeign&Signature=foreign"
        $loopback = $script:Endpoint + "_emulator/object/ok.mp3?CallId=http-loopback&Expires=$expires&Signature=x"
        # The child sends anything for a foreign host through the emulator as its proxy, where unroutedRequests counts it.
        $script = (Get-DyplsChildPrelude) + @"
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
        @($report.Errors).Count | Should -Be 1 -Because (Format-DyplsRunErrors $report.Errors)
        $report.Errors[0].CallId | Should -Be 'http-foreign'
        $report.Errors[0].Id | Should -BeLike 'InsecureDownloadUrl,*'
        $stats.unroutedRequests | Should -Be 0 -Because 'no request may be sent for a plain-http URL on a foreign host'
        @($report.Results).Count | Should -Be 1
        $report.Results[0].CallId | Should -Be 'http-loopback'
        $report.Results[0].Status | Should -BeIn $script:OkStatus
        Get-DyplsFileMd5 $report.Results[0].Path | Should -Be (Get-DyplsExpectedMd5 $script:Emu 'http-loopback')
    }
}
