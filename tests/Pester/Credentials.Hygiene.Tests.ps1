# No secret is ever shown: the AccessKey secret, STS keys and tokens, the source key of a role, OIDC tokens and URL
# signatures appear in no stream, in no transcript and in no entry of $Error, whether the call works or fails.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-hygiene-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    # A source key of its own and an OIDC token of its own, so the search looks for values only this file uses.
    $script:SourceId = 'LTAIcredModesKey0001'
    $script:SourceSecret = 'CredModesSourceSecret000000000001'
    $script:OidcToken = 'CredModesOidcToken000000000000000001'
    # The demo keys work as well.
    $script:Emu = Start-DyplsEmulator -ArgumentList '--key', "$($script:SourceId):$($script:SourceSecret)", '--oidc-token', $script:OidcToken
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Sts = Get-DyplsDemoSts
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:TokenFile = Join-Path $script:Root 'rrsa-token'
    Set-Content -LiteralPath $script:TokenFile -Value $script:OidcToken -NoNewline

    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting -Emulator $script:Emu -Settings $Settings }
    function New-Dest { Join-Path $script:Root ([guid]::NewGuid().ToString('N')) }
}

AfterAll {
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Secret hygiene' {
    It 'never shows the secret, the STS token or a URL signature in the transcript, $Error or any stream (keys given as parameters)' {
        $transcript = Join-Path $script:Root 'transcript.txt'
        $dest = New-Dest
        $stsSecret = ConvertTo-SecureString $script:Keys.StsSecret -AsPlainText -Force
        $stsToken = ConvertTo-SecureString $script:Keys.StsToken -AsPlainText -Force
        $sts = @{ AccessKeyId = $script:Keys.StsAccessKeyId; AccessKeySecret = $stsSecret; SecurityToken = $stsToken }
        # The access-key runs take -Endpoint from here; the STS-mode runs below name theirs.
        $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
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
            $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
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

    It 'never shows the source key, the STS keys or the OIDC token in the transcript, $Error or any stream (the STS modes)' {
        $transcript = Join-Path $script:Root 'transcript.txt'
        $ini = Join-Path $script:Root 'hygiene-credentials'
        @"
[hyg-arn]
type = ram_role_arn
access_key_id = $($script:SourceId)
access_key_secret = $($script:SourceSecret)
role_arn = $($script:Sts.RoleArn)
role_session_name = hygiene
[hyg-denied]
type = ram_role_arn
access_key_id = $($script:SourceId)
access_key_secret = $($script:SourceSecret)
role_arn = $($script:Sts.DeniedRoleArn)
[hyg-badsecret]
type = ram_role_arn
access_key_id = $($script:SourceId)
access_key_secret = WrongSourceSecret-not-secret
role_arn = $($script:Sts.RoleArn)
"@ | Set-Content -LiteralPath $ini
        $badToken = Join-Path $script:Root 'bad-token'
        Set-Content -LiteralPath $badToken -Value 'WrongOidcToken-not-secret' -NoNewline
        $saved = @{}
        $names = 'ALIBABA_CLOUD_CREDENTIALS_FILE', 'ALIBABA_CLOUD_STS_ENDPOINT', 'ALIBABA_CLOUD_ROLE_ARN', 'ALIBABA_CLOUD_OIDC_PROVIDER_ARN', 'ALIBABA_CLOUD_OIDC_TOKEN_FILE', 'ALIBABA_CLOUD_ACCESS_KEY_ID', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'
        foreach ($n in $names) { $saved[$n] = [Environment]::GetEnvironmentVariable($n); [Environment]::SetEnvironmentVariable($n, $null) }
        $streams = [System.Collections.Generic.List[object]]::new()
        $dest = Join-Path $script:Root 'hygiene'
        $row = { param($id) [pscustomobject]@{ CallId = $id; CallTime = $script:Now; PoolKey = 'FC1' } }
        $Error.Clear()
        $null = Start-Transcript -Path $transcript -Force
        try {
            $env:ALIBABA_CLOUD_CREDENTIALS_FILE = $ini
            $env:ALIBABA_CLOUD_STS_ENDPOINT = $script:Endpoint
            # RamRoleArn from the INI file: the source secret signs, the STS key and token are used.
            & $row 'hyg-arn-1' | Get-DyplsRecordUrl -Endpoint $script:Endpoint -ProfileName hyg-arn -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) }
            & $row 'hyg-arn-2' | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -ProfileName hyg-arn -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) }
            # RRSA from the environment: the OIDC token is sent.
            $env:ALIBABA_CLOUD_ROLE_ARN = $script:Sts.RoleArn
            $env:ALIBABA_CLOUD_OIDC_PROVIDER_ARN = $script:Sts.OidcProviderArn
            $env:ALIBABA_CLOUD_OIDC_TOKEN_FILE = $script:TokenFile
            & $row 'hyg-oidc-1' | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) }
            & $row 'hyg-oidc-2' | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) }
            # Failures: a denied role, a wrong source secret, a wrong OIDC token.
            try { & $row 'hyg-3' | Get-DyplsRecordUrl -Endpoint $script:Endpoint -ProfileName hyg-denied -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) } } catch { $streams.Add($_) }
            try { & $row 'hyg-4' | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -ProfileName hyg-badsecret -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) } } catch { $streams.Add($_) }
            $env:ALIBABA_CLOUD_OIDC_TOKEN_FILE = $badToken
            try { & $row 'hyg-5' | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Verbose -Debug *>&1 | ForEach-Object { $streams.Add($_) } } catch { $streams.Add($_) }
            $streams | Out-Host
            $Error | Out-Host
        }
        finally {
            $null = Stop-Transcript
            foreach ($n in $names) { [Environment]::SetEnvironmentVariable($n, $saved[$n]) }
        }

        $haystacks = [System.Collections.Generic.List[string]]::new()
        $haystacks.Add((Get-Content -Raw $transcript))
        foreach ($item in $streams) { $haystacks.Add(($item | Out-String -Width 400)) }
        foreach ($e in $Error) {
            $haystacks.Add(($e | Out-String -Width 400))
            if ($e -is [System.Management.Automation.ErrorRecord]) {
                $haystacks.Add($e.FullyQualifiedErrorId)
                for ($x = $e.Exception; $x; $x = $x.InnerException) { $haystacks.Add($x.Message); $haystacks.Add($x.ToString()) }
            }
        }
        $all = $haystacks -join "`n"
        $all | Should -Match 'hyg-arn-1'                                  # the search covers the run
        $all | Should -Match 'hyg-oidc-2'
        $all | Should -Match 'NoPermission'
        $all | Should -Match 'SignatureDoesNotMatch'
        $all | Should -Match 'AuthenticationFail\.OIDCToken'
        $all | Should -Match 'RamRoleArn|ram_role_arn'
        $issued = @(Invoke-RestMethod ($script:Endpoint + '_emulator/sts-keys') | ForEach-Object { $_ })
        $issued.Count | Should -BeGreaterOrEqual 2
        $secrets = @($script:SourceSecret, $script:OidcToken, 'WrongSourceSecret-not-secret', 'WrongOidcToken-not-secret', $script:SourceId)
        foreach ($k in $issued) { $secrets += $k.accessKeySecret; $secrets += $k.securityToken; $secrets += $k.accessKeyId }
        foreach ($s in $secrets) { $all | Should -Not -Match ([regex]::Escape($s)) -Because 'no secret, token or full AccessKeyId may be shown' }
    }

    It 'Get-DyplsRecordUrl -Verbose -Debug never writes the secret, the token or a URL signature to any stream' {
        $sec = ConvertTo-SecureString $script:Keys.StsSecret -AsPlainText -Force
        $tok = ConvertTo-SecureString $script:Keys.StsToken -AsPlainText -Force
        $all = Get-DyplsRecordUrl -CallId secret-1 -CallTime $script:Now -PoolKey FC1 -Endpoint $script:Endpoint -AccessKeyId $script:Keys.StsAccessKeyId -AccessKeySecret $sec -SecurityToken $tok -Verbose -Debug *>&1
        $result = $all | Where-Object { $_ -is [Dypls.Models.RecordingUrl] }
        $signature = [regex]::Match($result.Url, 'Signature=([^&]+)').Groups[1].Value
        $signature | Should -Not -BeNullOrEmpty
        $text = ($all | Where-Object { $_ -isnot [Dypls.Models.RecordingUrl] } | Out-String) + ($result | Format-Table | Out-String)
        $text | Should -Match 'secret-1'
        $text | Should -Not -Match ([regex]::Escape($script:Keys.StsSecret))
        $text | Should -Not -Match ([regex]::Escape($script:Keys.StsToken))
        $text | Should -Not -Match ([regex]::Escape($signature))
        $text | Should -Not -Match ([regex]::Escape([uri]::UnescapeDataString($signature)))
    }

    It 'Receive-DyplsReceipt | Save-DyplsRecording -Verbose -Debug never writes the queue token''s secret or security token, the key''s secret or a URL signature' {
        $base = $script:Endpoint.TrimEnd('/')
        $queue = 'Alicom-Queue-4242424242-SecretRecording'
        $null = Invoke-RestMethod -Method Post -Uri "$base/_emulator/queues/$queue" -ContentType 'application/json' -Body '{"count":5,"callIdPrefix":"hy"}'
        $sec = ConvertTo-SecureString $script:Keys.AccessKeySecret -AsPlainText -Force
        $dest = Join-Path ([IO.Path]::GetTempPath()) ('dypls-hygiene-' + [guid]::NewGuid().ToString('N'))
        $common = @{ Endpoint = $script:Endpoint; AccessKeyId = $script:Keys.AccessKeyId; AccessKeySecret = $sec }
        # Every stream of both cmdlets, while only receipts flow between them.
        $all = & { Receive-DyplsReceipt -QueueName $queue -QueueEndpoint $script:Endpoint @common -Verbose -Debug |
                Save-DyplsRecording -Destination $dest @common -Verbose -Debug } *>&1
        $saved = @($all | Where-Object { $_ -is [Dypls.Models.SavedRecording] })
        $saved.Count | Should -Be 5
        $tokens = @(Invoke-RestMethod -Uri "$base/_emulator/mns-tokens")
        $tokens.Count | Should -BeGreaterThan 0
        $text = ($all | Where-Object { $_ -isnot [Dypls.Models.SavedRecording] } | Out-String) + ($saved | Format-Table | Out-String) + ($Error | Out-String)
        $text | Should -Match 'hy000001'
        $text | Should -Not -Match ([regex]::Escape($script:Keys.AccessKeySecret))
        foreach ($t in $tokens) {
            $text | Should -Not -Match ([regex]::Escape($t.accessKeySecret))
            $text | Should -Not -Match ([regex]::Escape($t.securityToken))
        }
        foreach ($s in $saved) {
            $signature = [regex]::Match($s.Url, 'Signature=([^&]+)').Groups[1].Value
            $signature | Should -Not -BeNullOrEmpty
            $text | Should -Not -Match ([regex]::Escape($signature))
        }
        Remove-Item -Recurse -Force $dest -ErrorAction SilentlyContinue
    }
}
