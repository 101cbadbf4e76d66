# Interop: Alibaba Cloud's official Node.js credentials library (@alicloud/credentials, pinned in tests/interop) gets
# STS credentials from the emulator over HTTPS (the official libraries speak only HTTPS to STS; Node trusts the
# emulator's self-signed certificate through NODE_EXTRA_CA_CERTS), and Dyplsapi on the emulator accepts those keys
# as well as the ones Dypls gets from the same emulator for the same role. The Node library's profile readers do not
# cover every mode: the other modes are tested against the emulator alone (Credentials.Sources.Tests.ps1).
BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:InteropDir = Join-Path (Get-DyplsRepoRoot) 'tests/interop'
    if (-not (Get-Command node -ErrorAction SilentlyContinue)) { throw 'Node.js is required for the interop tests.' }
    if (-not (Test-Path (Join-Path $script:InteropDir 'node_modules/@alicloud/credentials')) -or -not (Test-Path (Join-Path $script:InteropDir 'node_modules/@alicloud/pop-core'))) {
        Push-Location $script:InteropDir
        try {
            & npm ci --no-audit --no-fund | Out-Host
            if ($LASTEXITCODE -ne 0) { throw "npm ci failed with exit code $LASTEXITCODE" }
        }
        finally { Pop-Location }
    }
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-credinterop-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $script:Emu = Start-DyplsEmulator -ArgumentList '--https-port', '0', '--https-cert-file', (Join-Path $script:Root 'emulator.pem')
    $script:Keys = Get-DyplsDemoKeys
    $script:Sts = Get-DyplsDemoSts
    $script:HttpsHost = ([uri]$script:Emu.HttpsBaseUrl).Authority    # host:port, as the SDKs' stsEndpoint takes it
    $script:TokenFile = Join-Path $script:Root 'token'
    Set-Content -LiteralPath $script:TokenFile -Value $script:Sts.OidcToken -NoNewline

    function Invoke-Node([string[]] $Arguments, [string] $HomeDirectory) {
        $psi = [System.Diagnostics.ProcessStartInfo]::new('node')
        $psi.ArgumentList.Add((Join-Path $script:InteropDir 'credentials-interop.js'))
        foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
        $psi.WorkingDirectory = $script:InteropDir
        foreach ($name in @($psi.Environment.Keys)) { if ($name -like 'ALIBABA_CLOUD_*') { $null = $psi.Environment.Remove($name) } }
        $psi.Environment['NODE_EXTRA_CA_CERTS'] = $script:Emu.CertificateFile
        if ($HomeDirectory) { $psi.Environment['HOME'] = $HomeDirectory; $psi.Environment['USERPROFILE'] = $HomeDirectory }
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
        $p = [System.Diagnostics.Process]::Start($psi)
        $err = $p.StandardError.ReadToEndAsync()
        $out = $p.StandardOutput.ReadToEnd()
        $p.WaitForExit()
        [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out.Trim(); StdErr = $err.Result }
    }

    function New-ProfileHome([string] $Name, [string] $StsEndpoint) {
        $dir = Join-Path $script:Root $Name
        $null = New-Item -ItemType Directory -Force (Join-Path $dir '.aliyun')
        @{ current = 'arn'; profiles = @(@{ name = 'arn'; mode = 'RamRoleArn'; access_key_id = $script:Keys.AccessKeyId; access_key_secret = $script:Keys.AccessKeySecret
                    ram_role_arn = $script:Sts.RoleArn; ram_session_name = 'interop'; sts_endpoint = $StsEndpoint; region_id = 'cn-hangzhou' })
        } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $dir '.aliyun/config.json')
        $dir
    }
}

AfterAll {
    if ($script:Emu) { Stop-DyplsEmulator -Emulator $script:Emu }
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe '@alicloud/credentials 2.4.7 against the emulator''s STS' {
    BeforeEach { Reset-DyplsEmulatorStats -Emulator $script:Emu }

    It 'RamRoleArn from a CLI profile (sts_endpoint): Node gets STS credentials and Dyplsapi accepts its keys, and Dypls''s' {
        # The official library reads ~/.aliyun/config.json itself; sts_endpoint is the emulator's HTTPS host:port.
        $nodeHome = New-ProfileHome 'node-home' $script:HttpsHost
        $r = Invoke-Node @('cli-profile', $script:Emu.BaseUrl, 'arn') $nodeHome
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut) $($r.StdErr)"
        $line = $r.StdOut | ConvertFrom-Json
        $line.providerName | Should -Be 'cli_profile/ram_role_arn/static_ak'
        $line.accessKeyIdPrefix | Should -Be 'STS.'
        $line.hasSecurityToken | Should -BeTrue
        $line.Code | Should -Be 'OK'
        # Dypls with the same profile, STS over loopback http.
        $dyplsHome = New-ProfileHome 'dypls-home' $script:Emu.BaseUrl
        $d = Invoke-ChildPwsh -HomeDirectory $dyplsHome -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
(Get-DyplsRecordUrl -CallId dypls-arn -CallTime '$(Get-RecentCallTime)' -PoolKey FC1 -Endpoint '$($script:Emu.BaseUrl)').CallId
"@
        $d.StdErr | Should -BeNullOrEmpty
        $d.StdOut.Trim() | Should -Be 'dypls-arn'
        $stats = Get-DyplsEmulatorStats -Emulator $script:Emu
        $stats.stsAssumeRole | Should -Be 2          # one session for Node, one for Dypls
        $stats.apiSucceeded | Should -Be 2           # Dyplsapi accepted both
        $stats.authFailures | Should -Be 0
        $stats.signatureFailures | Should -Be 0
    }

    It 'OIDC through its STS-endpoint option: Node gets STS credentials and Dyplsapi accepts its keys, and Dypls''s' {
        $r = Invoke-Node @('oidc', $script:Emu.BaseUrl, $script:HttpsHost, $script:Sts.RoleArn, $script:Sts.OidcProviderArn, $script:TokenFile)
        $r.ExitCode | Should -Be 0 -Because "$($r.StdOut) $($r.StdErr)"
        $line = $r.StdOut | ConvertFrom-Json
        $line.providerName | Should -Be 'oidc_role_arn'
        $line.Code | Should -Be 'OK'
        $d = Invoke-ChildPwsh -Environment @{
            ALIBABA_CLOUD_ROLE_ARN = $script:Sts.RoleArn; ALIBABA_CLOUD_OIDC_PROVIDER_ARN = $script:Sts.OidcProviderArn
            ALIBABA_CLOUD_OIDC_TOKEN_FILE = $script:TokenFile; ALIBABA_CLOUD_STS_ENDPOINT = $script:Emu.BaseUrl
        } -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
(Get-DyplsRecordUrl -CallId dypls-oidc -CallTime '$(Get-RecentCallTime)' -PoolKey FC1 -Endpoint '$($script:Emu.BaseUrl)').CallId
"@
        $d.StdErr | Should -BeNullOrEmpty
        $d.StdOut.Trim() | Should -Be 'dypls-oidc'
        $stats = Get-DyplsEmulatorStats -Emulator $script:Emu
        $stats.stsAssumeRoleWithOidc | Should -Be 2
        $stats.apiSucceeded | Should -Be 2
    }

    It 'is refused by the emulator''s STS when the role does not exist (the library reports the STS code)' {
        $nodeHome = Join-Path $script:Root 'node-bad'
        $null = New-Item -ItemType Directory -Force (Join-Path $nodeHome '.aliyun')
        @{ current = 'arn'; profiles = @(@{ name = 'arn'; mode = 'RamRoleArn'; access_key_id = $script:Keys.AccessKeyId; access_key_secret = $script:Keys.AccessKeySecret
                    ram_role_arn = 'acs:ram::1234567890123456:role/no-such-role'; ram_session_name = 'interop'; sts_endpoint = $script:HttpsHost })
        } | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $nodeHome '.aliyun/config.json')
        $r = Invoke-Node @('cli-profile', $script:Emu.BaseUrl, 'arn') $nodeHome
        $r.ExitCode | Should -Not -Be 0
        $r.StdErr | Should -Match 'EntityNotExist\.Role'
    }
}
