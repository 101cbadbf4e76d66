# Every credential source end to end against the emulator's STS, credentials URI and metadata service: parameters
# (AccessKey and STS), the environment, the profile in ~/.aliyun/config.json and in the INI file, and the ECS RAM role,
# through the cmdlets, each in a fresh pwsh with its own HOME and environment; the error when there is none. Also:
# STS credentials that expire during the run, and a credential source that fails during the run.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $sts = Get-DyplsDemoSts
    function Case([string] $Name, [string] $Tag, [string] $Setup = '', [hashtable] $EnvVars = @{}, [switch] $Empty, [string] $DebugText, [string] $Stat, [int] $Count = 1) {
        @{ Name = $Name; Tag = $Tag; Setup = $Setup; EnvVars = $EnvVars; Empty = [bool]$Empty; DebugText = $DebugText; Stat = $Stat; Count = $Count }
    }
    $script:Cases = @(
        Case 'config.json RamRoleArn (-ProfileName)' arn -Setup "`$common.ProfileName = 'prod'" -DebugText "profile 'prod' (mode RamRoleArn)*(RamRoleArn, role $($sts.RoleArn))*" -Stat stsAssumeRole
        Case 'config.json ChainableRamRoleArn with source_profile (the CLI current profile)' chain -DebugText "*profile 'chain' (mode ChainableRamRoleArn)*the CLI's current profile*source_profile of*" -Stat stsAssumeRole -Count 2
        Case 'config.json OIDC' oidc -Setup "`$common.ProfileName = 'pod'" -DebugText '*(OIDC, role*OIDC role*token file*' -Stat stsAssumeRoleWithOidc
        Case 'config.json CredentialsURI' uri -Setup "`$common.ProfileName = 'svc'" -DebugText "*profile 'svc' (mode CredentialsURI)*credentials URI http*" -Stat credentialsUriRequests
        Case 'config.json External' ext -Setup "`$common.ProfileName = 'ext'" -DebugText "*profile 'ext' (mode External)*external command*" -Stat externalRuns
        Case 'INI ram_role_arn (named by ALIBABA_CLOUD_PROFILE, STS from ALIBABA_CLOUD_STS_ENDPOINT)' iniarn -EnvVars @{ ALIBABA_CLOUD_PROFILE = 'ini-arn'; ALIBABA_CLOUD_STS_ENDPOINT = 'STS' } -DebugText '*profile `[ini-arn`] (type ram_role_arn)*(ram_role_arn, role*' -Stat stsAssumeRole
        Case 'INI oidc_role_arn as [default]' inioidc -EnvVars @{ ALIBABA_CLOUD_CLI_PROFILE_DISABLED = 'true'; ALIBABA_CLOUD_STS_ENDPOINT = 'STS' } -DebugText '*profile `[default`] (type oidc_role_arn)*' -Stat stsAssumeRoleWithOidc
        Case 'INI credentials_uri (-ProfileName)' iniuri -Setup "`$common.ProfileName = 'ini-uri'" -DebugText '*(type credentials_uri)*credentials URI*' -Stat credentialsUriRequests
        Case 'environment: RRSA (ALIBABA_CLOUD_ROLE_ARN, _OIDC_PROVIDER_ARN, _OIDC_TOKEN_FILE, _ROLE_SESSION_NAME)' rrsa -Empty -EnvVars @{ ALIBABA_CLOUD_ROLE_ARN = $sts.RoleArn; ALIBABA_CLOUD_OIDC_PROVIDER_ARN = $sts.OidcProviderArn; ALIBABA_CLOUD_OIDC_TOKEN_FILE = 'TOKEN'; ALIBABA_CLOUD_ROLE_SESSION_NAME = 'rrsa-pod'; ALIBABA_CLOUD_STS_ENDPOINT = 'STS' } -DebugText "*RRSA*session 'rrsa-pod'*" -Stat stsAssumeRoleWithOidc
        Case 'environment: ALIBABA_CLOUD_CREDENTIALS_URI' envuri -Empty -EnvVars @{ ALIBABA_CLOUD_CREDENTIALS_URI = 'URI' } -DebugText '*environment variable ALIBABA_CLOUD_CREDENTIALS_URI*' -Stat credentialsUriRequests
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-modes-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    # A source key of its own and an OIDC token of its own, so the hygiene search looks for values only this file uses.
    $script:SourceId = 'LTAIcredModesKey0001'
    $script:SourceSecret = 'CredModesSourceSecret000000000001'
    $script:OidcToken = 'CredModesOidcToken000000000000000001'
    $script:Emu = Start-DyplsEmulator -ArgumentList '--key', "$($script:SourceId):$($script:SourceSecret)", '--oidc-token', $script:OidcToken
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Sts = Get-DyplsDemoSts
    $script:Now = Get-RecentCallTime

    $script:TokenFile = Join-Path $script:Root 'rrsa-token'
    Set-Content -LiteralPath $script:TokenFile -Value $script:OidcToken -NoNewline

    # External: a script that prints a session the emulator knows (the demo STS key) and counts its runs.
    $keys = Get-DyplsDemoKeys
    $script:ExtCount = Join-Path $script:Root 'external-runs.txt'
    $extScript = Join-Path $script:Root 'external.ps1'
    $expiration = [DateTimeOffset]::UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'")
    Set-Content -LiteralPath $extScript -Value @"
Add-Content -LiteralPath '$($script:ExtCount)' -Value 'run'
[Console]::Error.WriteLine('external: diagnostics that must not be shown $($keys.StsSecret)')
'{"mode":"StsToken","access_key_id":"$($keys.StsAccessKeyId)","access_key_secret":"$($keys.StsSecret)","sts_token":"$($keys.StsToken)","expiration":"$expiration"}'
"@
    $pwsh = Get-PwshCommand
    $script:ProcessCommand = (@($pwsh) + '-NoProfile', '-NonInteractive', '-File', $extScript | ForEach-Object { '"' + $_ + '"' }) -join ' '

    # One home with both profile files.
    $script:ProfileHome = Join-Path $script:Root 'home'
    $null = New-Item -ItemType Directory -Force (Join-Path $script:ProfileHome '.aliyun'), (Join-Path $script:ProfileHome '.alibabacloud')
    function Arn([string] $Name, [string] $Role) {
        @{ name = $Name; mode = 'RamRoleArn'; access_key_id = $script:SourceId; access_key_secret = $script:SourceSecret; ram_role_arn = $Role; ram_session_name = 'pester'; sts_endpoint = $script:Endpoint }
    }
    @{ current = 'chain'; profiles = @(
            (Arn 'prod' $script:Sts.RoleArn),
            @{ name = 'chain'; mode = 'ChainableRamRoleArn'; source_profile = 'prod'; ram_role_arn = $script:Sts.RoleArn; ram_session_name = 'chained'; sts_endpoint = $script:Endpoint },
            @{ name = 'pod'; mode = 'OIDC'; ram_role_arn = $script:Sts.RoleArn; oidc_provider_arn = $script:Sts.OidcProviderArn; oidc_token_file = $script:TokenFile; ram_session_name = 'pod'; sts_endpoint = $script:Endpoint },
            @{ name = 'svc'; mode = 'CredentialsURI'; credentials_uri = $script:Endpoint + 'credentials-uri' },
            @{ name = 'ext'; mode = 'External'; process_command = $script:ProcessCommand },
            (Arn 'wrongrole' 'acs:ram::1234567890123456:role/no-such-role'),
            (Arn 'denied' $script:Sts.DeniedRoleArn),
            @{ name = 'sso'; mode = 'CloudSSO'; cloud_sso_sign_in_url = 'https://signin.example/'; cloud_sso_account_id = '1'; cloud_sso_access_config = 'x' }
        )
    } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $script:ProfileHome '.aliyun/config.json')
    @"
[default]
type = oidc_role_arn
role_arn = $($script:Sts.RoleArn)
oidc_provider_arn = $($script:Sts.OidcProviderArn)
oidc_token_file_path = $($script:TokenFile)
role_session_name = ini-default

[ini-arn]
type = ram_role_arn
access_key_id = $($script:SourceId)
access_key_secret = $($script:SourceSecret)
role_arn = $($script:Sts.RoleArn)
role_session_name = ini-arn

[ini-uri]
type = credentials_uri
credentials_uri = $($script:Endpoint)credentials-uri
"@ | Set-Content (Join-Path $script:ProfileHome '.alibabacloud/credentials')
    $script:EmptyHome = Join-Path $script:Root 'empty-home'
    $null = New-Item -ItemType Directory $script:EmptyHome

    function Get-Stats { Get-DyplsEmulatorStats -Emulator $script:Emu }

    # Both cmdlets in one fresh pwsh: a -Debug call, 3 URLs, 3 saved recordings. $Setup adds to @common.
    function Invoke-BothCmdlets([string] $Tag, [string] $Setup = '', [hashtable] $Environment = @{}, [string] $HomeDirectory = $script:ProfileHome) {
        $dest = Join-Path $script:Root "dest-$Tag"
        Invoke-ChildPwsh -HomeDirectory $HomeDirectory -Environment $Environment -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$ErrorActionPreference = 'Stop'
`$common = @{ Endpoint = '$($script:Endpoint)' }
$Setup
`$debug = Get-DyplsRecordUrl -CallId '$Tag-dbg' -CallTime '$($script:Now)' -PoolKey FC1 @common -Debug 5>&1 | Where-Object { `$_ -is [System.Management.Automation.DebugRecord] } | ForEach-Object Message
'DEBUG: ' + (`$debug -join ' | ')
`$rows = 1..3 | ForEach-Object { [pscustomobject]@{ CallId = '$Tag-' + `$_; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
'URLS: ' + @(`$rows | Get-DyplsRecordUrl @common | Where-Object Url).Count
'SAVED: ' + @(`$rows | Save-DyplsRecording -Destination '$dest' @common | Where-Object { `$_.Status -eq 'Downloaded' }).Count
"@
    }

    function Invoke-Failing([string] $Setup, [hashtable] $Environment = @{}, [int] $Rows = 1000, [int] $ThrottleLimit = 8, [string] $HomeDirectory = $script:ProfileHome) {
        Invoke-ChildPwsh -HomeDirectory $HomeDirectory -Environment $Environment -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$common = @{ Endpoint = '$($script:Endpoint)'; ThrottleLimit = $ThrottleLimit }
$Setup
`$rows = 1..$Rows | ForEach-Object { [pscustomobject]@{ CallId = "fail-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
`$sw = [Diagnostics.Stopwatch]::StartNew()
try { `$rows | Get-DyplsRecordUrl @common -ErrorVariable errs; 'NO ERROR' } catch { 'CAUGHT ' + `$_.FullyQualifiedErrorId + ' ERRS ' + @(`$errs).Count; 'MESSAGE ' + `$_.Exception.Message }
try { `$rows | Save-DyplsRecording -Destination (Join-Path '$($script:Root)' ([guid]::NewGuid())) @common -ErrorVariable errs; 'NO ERROR' } catch { 'CAUGHT ' + `$_.FullyQualifiedErrorId + ' ERRS ' + @(`$errs).Count; 'MESSAGE ' + `$_.Exception.Message }
'SECONDS ' + [int]`$sw.Elapsed.TotalSeconds
"@
    }
    $script:Keys = Get-DyplsDemoKeys
    function Reset-Emulator { Reset-DyplsEmulatorStats -Emulator $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting -Emulator $script:Emu -Settings $Settings }
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Each credential source' {
    BeforeEach { Reset-DyplsEmulatorStats -Emulator $script:Emu }

    It 'accepts -AccessKeyId with -AccessKeySecret and -SecurityToken (STS)' {
        $sec = ConvertTo-SecureString $script:Keys.StsSecret -AsPlainText -Force
        $tok = ConvertTo-SecureString $script:Keys.StsToken -AsPlainText -Force
        $r = Get-DyplsRecordUrl -CallId sts-1 -CallTime $script:Now -PoolKey FC1 -Endpoint $script:Endpoint -AccessKeyId $script:Keys.StsAccessKeyId -AccessKeySecret $sec -SecurityToken $tok
        $r.Url | Should -Not -BeNullOrEmpty
    }

    It 'fails clearly when an STS key comes without its token' {
        $sec = ConvertTo-SecureString $script:Keys.StsSecret -AsPlainText -Force
        { Get-DyplsRecordUrl -CallId sts-2 -CallTime $script:Now -PoolKey FC1 -Endpoint $script:Endpoint -AccessKeyId $script:Keys.StsAccessKeyId -AccessKeySecret $sec -ErrorAction Stop } |
            Should -Throw -ErrorId 'AuthenticationFailed,*'
    }

    It 'uses environment variables' {
        $r = Invoke-ChildPwsh -Environment @{ ALIBABA_CLOUD_ACCESS_KEY_ID = $script:Keys.AccessKeyId; ALIBABA_CLOUD_ACCESS_KEY_SECRET = $script:Keys.AccessKeySecret } -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
(Get-DyplsRecordUrl -CallId env-1 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($script:Endpoint) -Debug 5>&1 | Out-String)
"@
        $r.StdErr | Should -BeNullOrEmpty
        $r.StdOut | Should -Match 'env-1'
        $r.StdOut | Should -Match 'environment'
        $r.StdOut | Should -Not -Match ([regex]::Escape($script:Keys.AccessKeySecret))
    }

    It 'uses environment STS variables' {
        $r = Invoke-ChildPwsh -Environment @{ ALIBABA_CLOUD_ACCESS_KEY_ID = $script:Keys.StsAccessKeyId; ALIBABA_CLOUD_ACCESS_KEY_SECRET = $script:Keys.StsSecret; ALIBABA_CLOUD_SECURITY_TOKEN = $script:Keys.StsToken } -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
(Get-DyplsRecordUrl -CallId envsts-1 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($script:Endpoint)).CallId
"@
        $r.StdErr | Should -BeNullOrEmpty
        $r.StdOut.Trim() | Should -Be 'envsts-1'
    }

    It 'uses a named profile from ~/.aliyun/config.json and the default INI profile' {
        $home1 = Join-Path $script:Root 'home-profile'
        $null = New-Item -ItemType Directory -Force (Join-Path $home1 '.aliyun'), (Join-Path $home1 '.alibabacloud')
        @{ current = 'other'; profiles = @(
                @{ name = 'other'; mode = 'AK'; access_key_id = 'LTAIunknownkey0000'; access_key_secret = 'nope' },
                @{ name = 'prod'; mode = 'AK'; access_key_id = $script:Keys.AccessKeyId; access_key_secret = $script:Keys.AccessKeySecret; region_id = 'cn-hangzhou' }
                @{ name = 'sts'; mode = 'StsToken'; access_key_id = $script:Keys.StsAccessKeyId; access_key_secret = $script:Keys.StsSecret; sts_token = $script:Keys.StsToken }
            )
        } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $home1 '.aliyun/config.json')
        "; comment`n[default]`ntype = access_key`naccess_key_id = $($script:Keys.AccessKeyId)`naccess_key_secret = $($script:Keys.AccessKeySecret)`n" |
            Set-Content (Join-Path $home1 '.alibabacloud/credentials')
        $r = Invoke-ChildPwsh -HomeDirectory $home1 -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
(Get-DyplsRecordUrl -CallId prof-1 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($script:Endpoint) -ProfileName prod).CallId
(Get-DyplsRecordUrl -CallId prof-2 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($script:Endpoint) -ProfileName sts).CallId
try { Get-DyplsRecordUrl -CallId prof-3 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($script:Endpoint) -ProfileName nosuch -ErrorAction Stop } catch { 'ERR:' + `$_.FullyQualifiedErrorId }
"@
        $r.StdErr | Should -BeNullOrEmpty
        $lines = $r.StdOut.Trim() -split "`r?`n"
        $lines[0] | Should -Be 'prof-1'
        $lines[1] | Should -Be 'prof-2'
        $lines[2] | Should -BeLike 'ERR:ProfileNotFound,*'
    }

    It 'uses the ECS instance RAM role via IMDSv2 and caches it across calls' {
        $ecs = Start-DyplsEmulator -ArgumentList '--ecs-role', 'DyplsRunbookRole'
        try {
            $r = Invoke-ChildPwsh -Environment @{ ALIBABA_CLOUD_ECS_METADATA = 'DyplsRunbookRole'; DYPLS_ECS_METADATA_ENDPOINT = $ecs.BaseUrl } -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
(Get-DyplsRecordUrl -CallId ecs-1 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($ecs.BaseUrl)).CallId
(Get-DyplsRecordUrl -CallId ecs-2 -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($ecs.BaseUrl)).CallId
"@
            $r.StdErr | Should -BeNullOrEmpty
            ($r.StdOut.Trim() -split "`r?`n") | Should -Be @('ecs-1', 'ecs-2')
            $stats = Invoke-RestMethod ($ecs.BaseUrl + '_emulator/stats')
            $stats.apiSucceeded | Should -Be 2
            # One token PUT and one credentials GET: the second call used the cache.
            $stats.metadataRequests | Should -Be 2
        }
        finally { Stop-DyplsEmulator $ecs }
    }

    It 'gives one clear error listing every place looked at when there is no credential' {
        $r = Invoke-ChildPwsh -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
try { Get-DyplsRecordUrl -CallId none -CallTime '$($script:Now)' -PoolKey FC1 -Endpoint $($script:Endpoint) -ErrorAction Stop } catch { `$_.FullyQualifiedErrorId; `$_.Exception.Message }
"@
        $r.StdOut | Should -Match 'CredentialNotFound'
        $r.StdOut | Should -Match 'ALIBABA_CLOUD_ACCESS_KEY_ID'
        $r.StdOut | Should -Match 'config\.json'
        $r.StdOut | Should -Match 'credentials'
        $r.StdOut | Should -Match 'ECS'
    }

    It '<Name>' -ForEach $script:Cases {
        $environment = @{}
        if ($EnvVars) {
            foreach ($k in $EnvVars.Keys) {
                $environment[$k] = switch ($EnvVars[$k]) { 'STS' { $script:Endpoint } 'TOKEN' { $script:TokenFile } 'URI' { $script:Endpoint + 'credentials-uri' } default { $_ } }
            }
        }
        Remove-Item -LiteralPath $script:ExtCount -ErrorAction SilentlyContinue
        $r = Invoke-BothCmdlets -Tag $Tag -Setup $Setup -Environment $environment -HomeDirectory ($(if ($Empty) { $script:EmptyHome } else { $script:ProfileHome }))
        $r.StdErr | Should -BeNullOrEmpty
        $out = $r.StdOut
        $out | Should -Match 'URLS: 3'
        $out | Should -Match 'SAVED: 3'
        $debugLine = ($out -split "`r?`n" | Where-Object { $_ -like 'DEBUG: *' })
        $debugLine | Should -BeLike "*Credentials: $DebugText"
        foreach ($secret in $script:SourceSecret, $script:OidcToken, (Get-DyplsDemoKeys).StsSecret, (Get-DyplsDemoKeys).StsToken) { $out | Should -Not -Match ([regex]::Escape($secret)) }
        $stats = Get-Stats
        $stats.apiSucceeded | Should -Be 7                          # the -Debug call, 3 URLs, 3 saves
        $actual = if ($Stat -eq 'externalRuns') { @(Get-Content -LiteralPath $script:ExtCount).Count } else { $stats.$Stat }
        # One session (or one run of the command) serves all three cmdlet calls of the pwsh session.
        $actual | Should -Be $Count
    }

    It 'CloudSSO gets a clear error that says what to do instead' {
        $r = Invoke-Failing -Setup "`$common.ProfileName = 'sso'" -Rows 1
        $r.StdOut | Should -Match 'CAUGHT InteractiveProfileMode,'
        $r.StdOut | Should -Match 'aliyun configure --profile sso --mode CloudSSO'
        $r.StdOut | Should -Match 'External'
    }
}

Describe 'STS credentials that expire during the run' {
    It 'refreshes the STS credentials as they run out: 0 failed rows, refreshes counted' {
        Reset-DyplsEmulatorStats -Emulator $script:Emu
        # Sessions of 3 s, calls of 60 ms at 4 at a time: about 10 s of work spans several sessions.
        Set-DyplsEmulatorSetting -Emulator $script:Emu -Settings @{ stsSessionSeconds = 3; apiLatencyMs = 60; downloadLatencyMs = 60 }
        try {
            $dest = Join-Path $script:Root 'short-sessions'
            $r = Invoke-ChildPwsh -HomeDirectory $script:ProfileHome -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$common = @{ Endpoint = '$($script:Endpoint)'; ProfileName = 'prod'; ThrottleLimit = 4 }
`$rows = 1..400 | ForEach-Object { [pscustomobject]@{ CallId = "short-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$urls = `$rows | Get-DyplsRecordUrl @common -ErrorVariable e1 -ErrorAction Continue
`$saved = `$rows | Select-Object -First 200 | Save-DyplsRecording -Destination '$dest' @common -ErrorVariable e2 -ErrorAction Continue
'URLS ' + @(`$urls).Count + ' SAVED ' + @(`$saved).Count + ' ERRORS ' + (@(`$e1).Count + @(`$e2).Count) + ' SECONDS ' + [int]`$sw.Elapsed.TotalSeconds
"@
            $r.StdErr | Should -BeNullOrEmpty
            $r.StdOut | Should -Match 'URLS 400 SAVED 200 ERRORS 0 '
            $seconds = [int]([regex]::Match($r.StdOut, 'SECONDS (\d+)').Groups[1].Value)
            $stats = Get-Stats
            Write-Host "  run of $seconds s with 3 s sessions: $($stats.stsAssumeRole) AssumeRole calls, $($stats.authFailures) auth failures, $($stats.apiSucceeded) API successes"
            $seconds | Should -BeGreaterThan 6
            $stats.authFailures | Should -Be 0
            $stats.apiSucceeded | Should -Be 600
            # Refreshed half-way through each 3 s session: at least one refresh per 3 s of run, never one per row.
            $stats.stsAssumeRole | Should -BeGreaterOrEqual ([math]::Floor($seconds / 3))
            $stats.stsAssumeRole | Should -BeLessThan 60
        }
        finally {
            Set-DyplsEmulatorSetting -Emulator $script:Emu -Settings @{ stsSessionSeconds = 3600; apiLatencyMs = 0; downloadLatencyMs = 0 }
        }
    }
}

Describe 'A credential source that fails during the run' {
    BeforeEach { Reset-DyplsEmulatorStats -Emulator $script:Emu }
    AfterEach { Set-EmulatorSetting @{ metadataUnreachable = $false } }

    It 'a role that does not exist: one terminating error per cmdlet, STS asked once, no API call' {
        $r = Invoke-Failing -Setup "`$common.ProfileName = 'wrongrole'"
        ([regex]::Matches($r.StdOut, 'CAUGHT CredentialSourceFailed,[^ ]* ERRS 1')).Count | Should -Be 2
        $r.StdOut | Should -Match 'MESSAGE .*EntityNotExist\.Role.*does not exist'
        $r.StdOut | Should -Not -Match 'NO ERROR'
        $stats = Get-Stats
        $stats.stsRequests | Should -BeLessOrEqual 8                 # at most -ThrottleLimit; in fact once, remembered briefly
        $stats.apiRequests | Should -Be 0
        Write-Host "  wrong role, 2 x 1,000 rows: $($stats.stsRequests) STS requests, $($stats.apiRequests) API requests"
    }

    It 'a denied AssumeRole (NoPermission): one terminating error, request count bounded' {
        $r = Invoke-Failing -Setup "`$common.ProfileName = 'denied'"
        ([regex]::Matches($r.StdOut, 'CAUGHT CredentialSourceFailed,[^ ]* ERRS 1')).Count | Should -Be 2
        $r.StdOut | Should -Match 'MESSAGE .*NoPermission.*trust policy'
        (Get-Stats).stsRequests | Should -BeLessOrEqual 8
        (Get-Stats).apiRequests | Should -Be 0
    }

    It 'STS throttling after its retries: one terminating error that says so' {
        Set-DyplsEmulatorSetting -Emulator $script:Emu -Settings @{ stsThrottle = $true }
        try { $r = Invoke-Failing -Setup "`$common.ProfileName = 'prod'" -Rows 200 }
        finally { Set-DyplsEmulatorSetting -Emulator $script:Emu -Settings @{ stsThrottle = $false } }
        $r.StdOut | Should -Match 'CAUGHT CredentialSourceFailed,'
        $r.StdOut | Should -Match 'MESSAGE .*Throttling\.User.*throttled'
        (Get-Stats).stsRequests | Should -BeLessOrEqual 8
    }

    It 'an ECS metadata service that never answers, with many rows: one terminating error, requests <= -ThrottleLimit, quickly' {
        $ecs = Start-DyplsEmulator -ArgumentList '--ecs-role', 'DyplsRunbookRole'
        try {
            Set-DyplsEmulatorSetting -Emulator $ecs -Settings @{ metadataStall = $true }
            $r = Invoke-Failing -HomeDirectory $script:EmptyHome -Environment @{ ALIBABA_CLOUD_ECS_METADATA = 'DyplsRunbookRole'; DYPLS_ECS_METADATA_ENDPOINT = $ecs.BaseUrl }
            ([regex]::Matches($r.StdOut, 'CAUGHT CredentialSourceFailed,[^ ]* ERRS 1')).Count | Should -Be 2
            $r.StdOut | Should -Match 'MESSAGE .*ECS metadata service.*did not answer'
            $stats = Get-DyplsEmulatorStats -Emulator $ecs
            $seconds = [int]([regex]::Match($r.StdOut, 'SECONDS (\d+)').Groups[1].Value)
            Write-Host "  unreachable metadata service, 2 x 1,000 rows: $($stats.metadataRequests) metadata requests in $seconds s"
            $stats.metadataRequests | Should -BeLessOrEqual 8
            $stats.apiRequests | Should -Be 0
            $seconds | Should -BeLessThan 20
        }
        finally { Stop-DyplsEmulator $ecs }
    }

    It 'an ECS metadata service that drops every connection, with 100 rows, gives one CredentialSourceFailed and no per-row flood' {
        # The emulator's metadata service drops every connection unanswered: the credential source fails for everyone.
        Set-EmulatorSetting @{ metadataUnreachable = $true }
        Reset-Emulator
        $script = (Get-DyplsChildPrelude) + @"
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
        $report.Terminating | Should -Not -BeNullOrEmpty -Because "a failing credential source must stop the run; it gave: $(Format-DyplsRunErrors $report.Errors)"
        $report.Terminating.Id | Should -BeLike 'CredentialSourceFailed,*'
        @($report.Errors).Count | Should -Be 0 -Because 'one terminating error and no per-row flood'
        $stats.apiRequests | Should -Be 0
        $stats.metadataRequests | Should -BeGreaterThan 0 -Because 'the metadata service was really asked'
        $stats.metadataRequests | Should -BeLessOrEqual 24 -Because 'at most a few metadata requests for each of the 8 rows in flight, not for all 100 rows'
    }
}
