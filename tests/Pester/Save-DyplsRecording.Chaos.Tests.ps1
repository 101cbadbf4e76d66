# Save-DyplsRecording under chaos: 300 rows under combined fault rates from the emulator (fixed seed, so runs repeat).
# Every row must succeed, every recording must end byte-exact, no partial file may sit at a final name, cut downloads
# must resume (fewer bytes served than restarting from zero would need). Also: a URL that expires in the middle of a
# series of retries is refreshed.
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
        $size = 65536
        $rows = 1..300 | ForEach-Object { [pscustomobject]@{ CallId = 'chaos-{0:D3}' -f $_; CallTime = $script:Now; PoolKey = 'FC1' } }
        # Expected bytes first, while the emulator is healthy.
        $expected = @{}
        foreach ($r in $rows) {
            $bytes = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=' + $r.CallId)).Content
            $bytes.Length | Should -Be $size
            $expected[$r.CallId] = [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant()
        }
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{
            api5xxRate = 0.05; apiThrottleRate = 0.05; apiResetRate = 0.02; apiStallRate = 0.01; apiSystemErrorRate = 0.01
            download5xxRate = 0.05; downloadTruncateRate = 0.03; downloadStallRate = 0.01
        }
        # -TimeoutSec 5, not 2: a stall must be cut off by the timeout, but on a loaded 2-core machine a healthy answer must
        # never be mistaken for one. The stalls are the emulator's (it holds them until the client gives up), so the
        # timeout only decides how long each one costs, not whether it is detected.
        try {
            $all = $rows | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -Credential $script:Cred `
                -ThrottleLimit 16 -TimeoutSec 5 -MaxAttempts 6 -ErrorAction Continue 2>&1
        }
        finally {
            Set-EmulatorSetting @{ api5xxRate = 0; apiThrottleRate = 0; apiResetRate = 0; apiStallRate = 0; apiSystemErrorRate = 0; download5xxRate = 0; downloadTruncateRate = 0; downloadStallRate = 0 }
        }
        $stats = Get-Stats
        $results = @($all | Where-Object { $_ -is [Dypls.Models.SavedRecording] })
        $errors = @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] })
        $resumed = @($results | Where-Object Status -eq 'Resumed')
        # What a client that restarted every cut download from byte 0 would have fetched: every file whole, plus every
        # byte it received before a cut (the emulator counts those as interruptedDownloadBytes).
        $restartFromZero = 300 * $size + $stats.interruptedDownloadBytes
        $summary = [ordered]@{
            rows = 300; saved = $results.Count; errors = $errors.Count; faultsInjected = $stats.faultsInjected
            api5xx = $stats.faultApi5xx; throttled = $stats.faultApiThrottle; apiResets = $stats.faultApiReset; apiStalls = $stats.faultApiStall
            systemErrors = $stats.faultApiSystemError; download5xx = $stats.faultDownload5xx; truncations = $stats.faultDownloadTruncate
            downloadStalls = $stats.faultDownloadStall; rangeRequests = $stats.rangeRequests; resumed = $resumed.Count
            bytesServed = $stats.downloadBytes; bytesIfRestartedFromZero = $restartFromZero; bytesInterrupted = $stats.interruptedDownloadBytes
        }
        $null = New-Item -ItemType Directory -Force (Join-Path (Get-DyplsRepoRoot) 'out/test-results')
        $summary | ConvertTo-Json -Compress | Set-Content (Join-Path (Get-DyplsRepoRoot) 'out/test-results/chaos-summary.json')
        Write-Host ("chaos: " + ($summary | ConvertTo-Json -Compress))

        # Not one row may fail: every fault here is transient and -MaxAttempts 6 outlasts it.
        $errors | ForEach-Object { "$($_.TargetObject.CallId): $($_.FullyQualifiedErrorId) $($_.Exception.Message)" } | Should -BeNullOrEmpty
        $results.Count | Should -Be 300
        @($results.CallId) | Should -Be @($rows.CallId) -Because 'every row is reported, in input order'
        # Every recording is byte-exact; nothing partial at a final name, no working file left.
        foreach ($r in $results) { Get-FileMd5 $r.Path | Should -Be $expected[$r.CallId] -Because "$($r.CallId) must be byte-exact" }
        $finals = @(Get-ChildItem -LiteralPath $dest -File | Where-Object { $_.Name -notlike '.*.dypls-*' })
        $finals.Count | Should -Be 300
        foreach ($f in $finals) { Get-FileMd5 $f.FullName | Should -Be $expected[[IO.Path]::GetFileNameWithoutExtension($f.Name)] }
        Get-ChildItem -LiteralPath $dest -Force -Filter '.*.dypls-*' | Should -BeNullOrEmpty
        # The faults really happened.
        $stats.faultsInjected | Should -BeGreaterThan 20
        $stats.faultDownloadTruncate | Should -BeGreaterThan 0
        $stats.faultApiThrottle | Should -BeGreaterThan 0
        # Cut transfers were resumed with Range, reusing what was saved: fewer bytes than restarting from zero.
        $resumed.Count | Should -BeGreaterThan 0 -Because 'a cut download resumes with Range'
        $stats.rangeRequests | Should -BeGreaterOrEqual $resumed.Count
        $stats.interruptedDownloadBytes | Should -BeGreaterThan 0
        $stats.downloadBytes | Should -BeLessThan $restartFromZero -Because 'saved bytes are reused, not fetched again'

        # A second run asks nothing: everything is done.
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        $again = $rows | Save-DyplsRecording -Destination $dest -Endpoint $script:Endpoint -Credential $script:Cred
        $again.Count | Should -Be 300
        @($again | Where-Object Status -eq 'Skipped').Count | Should -Be 300
        (Get-Stats).apiRequests | Should -Be 0
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
