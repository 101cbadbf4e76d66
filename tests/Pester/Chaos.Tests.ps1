# The chaos suite: many rows under combined fault rates from the emulator (fixed seed, so runs repeat).
# Every recording must end byte-exact, no partial file may sit at a final name, and every row must yield
# its result or, only where retries ran out, one clear error.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator -ArgumentList '--fault-seed', '20261125'
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-chaos-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    function Get-Stats { Invoke-RestMethod -Uri ($script:Endpoint + '_emulator/stats') }
    function Set-EmulatorSetting([hashtable] $Settings) {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/settings') -ContentType 'application/json' -Body ($Settings | ConvertTo-Json)
    }
    function Get-FileMd5([string] $Path) { (Get-FileHash -Algorithm MD5 -LiteralPath $Path).Hash.ToLowerInvariant() }
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Chaos' {
    It 'saves 300 rows exactly under 5% 5xx, 5% throttling, 2% resets, 3% truncations and 1% stalls' {
        $dest = Join-Path $script:Root 'chaos'
        $rows = 1..300 | ForEach-Object { [pscustomobject]@{ CallId = 'chaos-{0:D3}' -f $_; CallTime = $script:Now; PoolKey = 'FC1' } }
        # Expected bytes first, while the emulator is healthy.
        $expected = @{}
        foreach ($r in $rows) {
            $bytes = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=' + $r.CallId)).Content
            $expected[$r.CallId] = [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant()
        }
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{
            api5xxRate = 0.05; apiThrottleRate = 0.05; apiResetRate = 0.02; apiStallRate = 0.01; apiSystemErrorRate = 0.01
            download5xxRate = 0.05; downloadTruncateRate = 0.03; downloadStallRate = 0.01
        }
        try {
            $all = $rows | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -Credential $script:Cred `
                -ThrottleLimit 16 -TimeoutSec 2 -MaxAttempts 6 -ErrorAction Continue 2>&1
        }
        finally {
            Set-EmulatorSetting @{ api5xxRate = 0; apiThrottleRate = 0; apiResetRate = 0; apiStallRate = 0; apiSystemErrorRate = 0; download5xxRate = 0; downloadTruncateRate = 0; downloadStallRate = 0 }
        }
        $stats = Get-Stats
        $results = @($all | Where-Object { $_ -is [Dypls.Models.SavedRecording] })
        $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })

        # Every row accounted for exactly once, by a result or by one error.
        ($results.Count + $errors.Count) | Should -Be 300
        $accounted = @($results.CallId) + @($errors | ForEach-Object { $_.TargetObject.CallId })
        @($accounted | Sort-Object -Unique).Count | Should -Be 300
        foreach ($e in $errors) {
            # Only retries that ran out may fail a row, and they say so.
            $e.Exception.Message | Should -Match 'Gave up after|after \d+ attempts'
        }
        # Every saved recording is byte-exact; nothing partial at a final name.
        foreach ($r in $results) { Get-FileMd5 $r.Path | Should -Be $expected[$r.CallId] }
        $finals = @(Get-ChildItem -LiteralPath $dest -File | Where-Object { $_.Name -notlike '.*.dypls-*' })
        $finals.Count | Should -Be $results.Count
        foreach ($f in $finals) { Get-FileMd5 $f.FullName | Should -Be $expected[[IO.Path]::GetFileNameWithoutExtension($f.Name)] }
        # The faults really happened.
        $stats.faultsInjected | Should -BeGreaterThan 20
        $stats.faultDownloadTruncate | Should -BeGreaterThan 0
        $stats.faultApiThrottle | Should -BeGreaterThan 0
        $summary = [ordered]@{
            rows = 300; saved = $results.Count; errors = $errors.Count; faultsInjected = $stats.faultsInjected
            api5xx = $stats.faultApi5xx; throttled = $stats.faultApiThrottle; apiResets = $stats.faultApiReset; apiStalls = $stats.faultApiStall
            systemErrors = $stats.faultApiSystemError; download5xx = $stats.faultDownload5xx; truncations = $stats.faultDownloadTruncate
            downloadStalls = $stats.faultDownloadStall; rangeRequests = $stats.rangeRequests; resumed = @($results | Where-Object Status -eq 'Resumed').Count
        }
        $summary | ConvertTo-Json -Compress | Set-Content (Join-Path (Get-DyplsRepoRoot) 'out/test-results/chaos-summary.json')
        Write-Host ("chaos: " + ($summary | ConvertTo-Json -Compress))

        # A second run finishes whatever the first could not, and asks nothing for what is done.
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        $again = $rows | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -Credential $script:Cred
        $again.Count | Should -Be 300
        @($again | Where-Object Status -eq 'Skipped').Count | Should -Be $results.Count
        (Get-Stats).apiRequests | Should -Be $errors.Count
    }

    It 'paces itself under the service''s QPS limit and loses no row' {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{ qps = 10 }
        try {
            $rows = 1..80 | ForEach-Object { [pscustomobject]@{ CallId = "qps-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
            $all = $rows | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ThrottleLimit 16 -ErrorAction Continue 2>&1
        }
        finally { Set-EmulatorSetting @{ qps = 0 } }
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        @($all | Where-Object { $_ -is [Dypls.Models.RecordingUrl] }).Count | Should -Be 80
        (Get-Stats).throttled | Should -BeGreaterThan 0
    }

    It 'clock skew gives one error that says the local clock is off' {
        Set-EmulatorSetting @{ clockSkewSeconds = 1200 }
        try {
            $caught = $null
            try { [pscustomobject]@{ CallId = 'skew-1'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ErrorAction Stop }
            catch { $caught = $_ }
        }
        finally { Set-EmulatorSetting @{ clockSkewSeconds = 0 } }
        $caught.FullyQualifiedErrorId | Should -BeLike 'ClockSkew,*'
        $caught.Exception.Message | Should -Match 'local clock is 20 minutes behind'
    }

    It 'an API that stalls is cut off by -TimeoutSec and retried' {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{ apiStallRate = 1 }
        try {
            $caught = $null
            try { [pscustomobject]@{ CallId = 'stall-1'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -TimeoutSec 1 -MaxAttempts 2 -ErrorAction Stop }
            catch { $caught = $_ }
        }
        finally { Set-EmulatorSetting @{ apiStallRate = 0 } }
        $caught.FullyQualifiedErrorId | Should -BeLike 'RequestTimeout,*'
        $caught.Exception.Message | Should -Match 'Gave up after 2 attempts'
        (Get-Stats).faultApiStall | Should -Be 2
    }

    It 'a URL that expires in the middle of a retry series is refreshed' {
        $dest = Join-Path $script:Root 'expire-mid'
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{ download5xxRate = 0; expireNextDownloads = 1; cutDownloads = 1; cutDownloadsAtBytes = 10000 }
        try { $r = [pscustomobject]@{ CallId = 'expmid-1'; CallTime = $script:Now; PoolKey = 'FC1' } | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -Credential $script:Cred }
        finally { Set-EmulatorSetting @{ expireNextDownloads = 0; cutDownloads = 0 } }
        $r.ApiCalls | Should -Be 2
        $stats = Get-Stats
        $stats.faultDownloadExpired | Should -Be 1
        $bytes = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=expmid-1')).Content
        Get-FileMd5 $r.Path | Should -Be ([BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant())
    }
}
