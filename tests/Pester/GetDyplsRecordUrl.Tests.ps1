# Get-DyplsRecordUrl against the built module (out/Dypls) and the real emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-pester-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
    function Reset-Stats { $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset') }
    function Get-Stats { Invoke-RestMethod -Uri ($script:Endpoint + '_emulator/stats') }
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'The built module' {
    It 'exports Get-DyplsRecordUrl with an OutputType' {
        $cmd = Get-Command Get-DyplsRecordUrl -Module Dypls
        $cmd.OutputType.Type.FullName | Should -Contain 'Dypls.Models.RecordingUrl'
    }
    It 'ships no System.Management.Automation.dll and only module files' {
        $dir = Split-Path (Get-DyplsModulePath)
        Test-Path (Join-Path $dir 'System.Management.Automation.dll') | Should -BeFalse
        Get-ChildItem $dir -File | Where-Object Extension -notin '.dll', '.psd1', '.ps1xml', '.xml' | Should -BeNullOrEmpty
    }
    It 'has the version from Directory.Build.props stamped in' {
        $props = [xml](Get-Content -Raw (Join-Path (Get-DyplsRepoRoot) 'Directory.Build.props'))
        $version = @($props.Project.PropertyGroup.Version | Where-Object { $_ })[0]
        (Get-Module Dypls).Version.ToString() | Should -Be $version
    }
}

Describe 'Import-Csv | Get-DyplsRecordUrl' {
    It 'returns a working URL for every awkward CallId, in input order' {
        $ids = @('plain-1', 'a b', 'x*y', 't~1', 'p+q', 'dir/sub', 'say "hi"', "it's", '中文呼叫记录', 'a%20b', 'semi;colon')
        $csv = Join-Path $script:Tmp 'awkward.csv'
        $ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $script:Now; PoolKey = 'FC100001' } } | Export-Csv $csv -NoTypeInformation -Encoding utf8
        $out = Import-Csv $csv | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred
        $out.Count | Should -Be $ids.Count
        $out.CallId | Should -Be $ids
        foreach ($r in $out) {
            $r | Should -BeOfType Dypls.Models.RecordingUrl
            $r.CallTime | Should -Be $script:Now
            $r.PoolKey | Should -Be 'FC100001'
            $r.RequestId | Should -Not -BeNullOrEmpty
            $r.ExpiresAt | Should -BeOfType [DateTimeOffset]
            $r.ExpiresAt | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddMinutes(100))
            $r.Url | Should -Match 'Expires=\d+'
            # The URL really serves this call's recording.
            $got = (Invoke-WebRequest -Uri $r.Url).Content
            $want = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=' + [uri]::EscapeDataString($r.CallId))).Content
            [Convert]::ToBase64String($got) | Should -Be ([Convert]::ToBase64String($want))
        }
    }

    It 'binds the receipt columns, the console''s Chinese headers, and epoch milliseconds' {
        $ms = [DateTimeOffset]::UtcNow.AddHours(-2).ToUnixTimeMilliseconds()
        $expected = [DateTimeOffset]::FromUnixTimeMilliseconds($ms).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
        $receipt = [pscustomobject]@{ call_id = 'receipt-1'; call_time = "$ms"; pool_key = 'FC1'; sub_id = '9' }
        $console = [pscustomobject]@{ '呼叫记录ID' = 'console-1'; '呼叫发起时间' = $script:Now; '号码池Key' = 'FC2' }
        $out = $receipt, $console | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred
        $out[0].CallId | Should -Be 'receipt-1'
        $out[0].CallTime | Should -Be $expected
        $out[1].CallId | Should -Be 'console-1'
        $out[1].PoolKey | Should -Be 'FC2'
    }

    It 'converts [datetime] and [datetimeoffset] to Beijing time' {
        $utc = [datetime]::SpecifyKind([datetime]::UtcNow.AddHours(-3), 'Utc')
        $utc = $utc.AddTicks(-($utc.Ticks % [TimeSpan]::TicksPerSecond))
        $expected = $utc.AddHours(8).ToString('yyyy-MM-dd HH:mm:ss')
        (Get-DyplsRecordUrl -CallId dt1 -CallTime $utc -PoolKey FC1 -Endpoint $script:Endpoint -Credential $script:Cred).CallTime | Should -Be $expected
        (Get-DyplsRecordUrl -CallId dt2 -CallTime $utc.ToLocalTime() -PoolKey FC1 -Endpoint $script:Endpoint -Credential $script:Cred).CallTime | Should -Be $expected
        $dto = [DateTimeOffset]::new($utc).ToOffset([TimeSpan]::FromHours(-5))
        (Get-DyplsRecordUrl -CallId dt3 -CallTime $dto -PoolKey FC1 -Endpoint $script:Endpoint -Credential $script:Cred).CallTime | Should -Be $expected
    }

    It 'reads a <Kind> [datetime] in the machine''s own zone (<Zone>)' -ForEach @(
        foreach ($zone in 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham') { foreach ($kind in 'Local', 'Unspecified') { @{ Zone = $zone; Kind = $kind } } }
    ) {
        $r = Invoke-ChildPwsh -Environment @{ TZ = $Zone } -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$time = [datetime]::new(2026, 7, 1, 9, 30, 0, [DateTimeKind]::$Kind)
'OFFSET ' + [TimeZoneInfo]::Local.GetUtcOffset(`$time).TotalMinutes
Get-DyplsRecordUrl -CallId tz -CallTime `$time -PoolKey FC1 -WhatIf -Endpoint http://127.0.0.1:9/ -AccessKeyId x -AccessKeySecret (ConvertTo-SecureString y -AsPlainText -Force) 6>&1 | Out-String
"@
        $tz = [TimeZoneInfo]::FindSystemTimeZoneById($Zone)
        $offset = $tz.GetUtcOffset([datetime]::new(2026, 7, 1, 9, 30, 0))
        $r.StdOut | Should -Match "OFFSET $($offset.TotalMinutes)\b" -Because 'the child really runs in that zone'
        $offset | Should -Not -Be ([TimeSpan]::Zero) -Because 'only a zone off UTC tells Local or Unspecified from UTC'
        $utc = [TimeZoneInfo]::ConvertTimeToUtc([datetime]::new(2026, 7, 1, 9, 30, 0), $tz)
        $r.StdOut | Should -Match ([regex]::Escape("at $($utc.AddHours(8).ToString('yyyy-MM-dd HH:mm:ss')) (Beijing)"))
    }
}

Describe '-WhatIf' {
    It 'tells what would be queried and sends nothing' {
        Reset-Stats
        # "What if:" goes to the host, so read it from a child pwsh's stdout.
        $r = Invoke-ChildPwsh -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
`$out = 1..5 | ForEach-Object { [pscustomobject]@{ CallId = "whatif-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } } | Get-DyplsRecordUrl -Endpoint $($script:Endpoint) -Credential `$cred -WhatIf
"objects: " + @(`$out).Count
"@
        $r.StdOut | Should -Match 'What if: .*whatif-3'
        $r.StdOut | Should -Match 'objects: 0'
        (Get-Stats).apiRequests | Should -Be 0
    }
}

Describe 'Bad rows next to good ones' {
    It 'gives each bad row one non-terminating error with a stable ErrorId and the row as TargetObject' {
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

    It 'reports a row that lacks a mandatory column and goes on' {
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
}

Describe 'Credentials' {
    It 'fails once, terminating, for a wrong secret over many rows, after only a few requests' {
        Reset-Stats
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
        $home1 = Join-Path $script:Tmp 'home-profile'
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

    It 'never writes the secret, the token or a URL signature to any stream' {
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
}

Describe 'Endpoints' {
    It 'refuses plain http to a host that is not loopback' {
        { Get-DyplsRecordUrl -CallId e1 -CallTime $script:Now -PoolKey FC1 -Endpoint 'http://dyplsapi.aliyuncs.com/' -Credential $script:Cred -ErrorAction Stop } |
            Should -Throw -ErrorId 'InsecureEndpoint,*'
    }
}
