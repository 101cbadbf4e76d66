<#
.SYNOPSIS
    The receipt queue, measured in one run against the emulator: draining N receipts into a folder
    (Receive-DyplsReceipt | Save-DyplsRecording) against saving the same rows from a CSV, the MNS requests per receipt,
    and a baseline consumer written as Alibaba's Node receive sample does it (one message at a time).
    Called by `build.ps1 -Task Bench`. Nothing here asserts a time.
#>
[CmdletBinding()]
param(
    [int] $Receipts = 2000,
    [int] $RecordingSize = 65536,
    # Receipts for the one-at-a-time peer (it is slow; its figures are per receipt).
    [int] $PeerReceipts = 300,
    [int] $Repeat = 3,
    [string] $OutDir = (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'out/bench-receipts')
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot '../Pester/TestHelpers.psm1') -Force
$root = Get-DyplsRepoRoot
$module = Get-DyplsModulePath
$keys = Get-DyplsDemoKeys
Remove-Item -Recurse -Force $OutDir -ErrorAction SilentlyContinue
$null = New-Item -ItemType Directory -Force $OutDir

$emu = Start-DyplsEmulator -ArgumentList '--recording-size', $RecordingSize
$base = $emu.BaseUrl.TrimEnd('/')
$prelude = @"
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$module'
`$cred = [pscredential]::new('$($keys.AccessKeyId)', (ConvertTo-SecureString '$($keys.AccessKeySecret)' -AsPlainText -Force))
"@
function Add-Queue([string] $Name, [int] $Count, [string] $Prefix) {
    Invoke-RestMethod -Method Post -Uri "$base/_emulator/queues/$Name" -ContentType 'application/json' -Body (@{ count = $Count; callIdPrefix = $Prefix } | ConvertTo-Json -Compress)
}
$rows = [System.Collections.Generic.List[object]]::new()
try {
    Write-Host "Receipt bench: $Receipts receipts of $($RecordingSize / 1KB) KB recordings, median of $Repeat, zero latency"
    foreach ($i in 1..$Repeat) {
        # The same rows both ways: a queue of receipts, and a CSV of their fields.
        $queue = 'Alicom-Queue-{0}-SecretRecording' -f (1000000000 + $i)
        $added = Add-Queue $queue $Receipts "rb$i-"
        $csv = Join-Path $OutDir "rows-$i.csv"
        $time = [DateTimeOffset]::UtcNow.AddHours(-1).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
        $added.callIds | ForEach-Object { [pscustomobject]@{ CallId = "csv-$_"; CallTime = $time; PoolKey = 'FC100000012345' } } | Export-Csv $csv -NoTypeInformation

        $d = Join-Path $OutDir "csv-$i"
        $csvRun = Invoke-DyplsBenchChild @"
$prelude
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$n = @(Import-Csv '$csv' | Save-DyplsRecording -Destination '$d' -Endpoint '$($emu.BaseUrl)' -Credential `$cred).Count
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds; saved = `$n } | ConvertTo-Json -Compress)
"@
        $before = Invoke-RestMethod "$base/_emulator/stats"
        $d = Join-Path $OutDir "drain-$i"
        # -WaitSeconds 0: the last, empty poll answers at once, as the CSV run has no such wait.
        $drain = Invoke-DyplsBenchChild @"
$prelude
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$n = @(Receive-DyplsReceipt -QueueName '$queue' -WaitSeconds 0 -Endpoint '$($emu.BaseUrl)' -QueueEndpoint '$($emu.BaseUrl)' -Credential `$cred |
    Save-DyplsRecording -Destination '$d' -Endpoint '$($emu.BaseUrl)' -Credential `$cred).Count
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds; saved = `$n } | ConvertTo-Json -Compress)
"@
        $after = Invoke-RestMethod "$base/_emulator/stats"
        $s = [pscustomobject]@{}
        foreach ($n in 'mnsRequests', 'mnsReceives', 'mnsDeleteRequests', 'mnsDeletesBeforeServed') { $s | Add-Member $n ($after.$n - $before.$n) }
        $q = Invoke-RestMethod "$base/_emulator/queues/$queue"
        $rows.Add([pscustomobject]@{
                CsvSeconds = [math]::Round($csvRun.seconds, 2); DrainSeconds = [math]::Round($drain.seconds, 2); Ratio = [math]::Round($drain.seconds / $csvRun.seconds, 3)
                Saved = $drain.saved; LeftInQueue = $q.total; MnsRequests = $s.mnsRequests; MnsPerReceipt = [math]::Round($s.mnsRequests / $Receipts, 4)
                Receives = $s.mnsReceives; DeleteRequests = $s.mnsDeleteRequests; DeletesBeforeServed = $s.mnsDeletesBeforeServed
            })
        Write-Host ("  run {0}: CSV {1:0.00} s, drain {2:0.00} s ({3:0.000}x), saved {4}, left {5}, MNS {6} requests ({7:0.000} per receipt: {8} receives, {9} deletes)" -f $i,
            $csvRun.seconds, $drain.seconds, ($drain.seconds / $csvRun.seconds), $drain.saved, $q.total, $s.mnsRequests, ($s.mnsRequests / $Receipts), $s.mnsReceives, $s.mnsDeleteRequests)
        Remove-Item -Recurse -Force (Join-Path $OutDir "csv-$i"), (Join-Path $OutDir "drain-$i") -ErrorAction SilentlyContinue
    }

    # The baseline: one message at a time, as Alibaba's Node receive sample.
    $interop = Join-Path $root 'tests/interop'
    if (-not (Test-Path (Join-Path $interop 'node_modules/@alicloud/mns'))) { Push-Location $interop; try { npm ci --no-audit --no-fund --silent | Out-Null } finally { Pop-Location } }
    $before = Invoke-RestMethod "$base/_emulator/stats"
    $peerQueue = 'Alicom-Queue-1999999999-SecretRecording'
    $null = Add-Queue $peerQueue $PeerReceipts 'peer-'
    $peerOut = node (Join-Path $interop 'mns-receive-peer.js') $emu.BaseUrl $keys.AccessKeyId $keys.AccessKeySecret $peerQueue (Join-Path $OutDir 'peer')
    if ($LASTEXITCODE -ne 0) { throw "the Node receive peer failed: $peerOut" }
    $peer = $peerOut | Select-Object -Last 1 | ConvertFrom-Json
    $peerMns = (Invoke-RestMethod "$base/_emulator/stats").mnsRequests - $before.mnsRequests
    $peerResult = [ordered]@{ receipts = $PeerReceipts; saved = $peer.saved; seconds = $peer.seconds; secondsPerReceipt = [math]::Round($peer.seconds / $PeerReceipts, 4); mnsPerReceipt = [math]::Round($peerMns / $PeerReceipts, 3) }
}
finally { Stop-DyplsEmulator $emu }

$median = @($rows | Sort-Object Ratio)[[int][math]::Floor($rows.Count / 2)]
$dyplsPerReceipt = $median.DrainSeconds / $Receipts
Write-Host ''
Write-Host ("Drain / CSV (median of {0}): {1:0.000}x   MNS requests per receipt: {2:0.000}" -f $Repeat, $median.Ratio, $median.MnsPerReceipt)
Write-Host ("Node sample peer (one at a time): {0:0.0} ms and {1:0.00} MNS requests per receipt; Dypls {2:0.00} ms per receipt ({3:0.0}x faster)" -f ($peerResult.secondsPerReceipt * 1000), $peerResult.mnsPerReceipt, ($dyplsPerReceipt * 1000), ($peerResult.secondsPerReceipt / $dyplsPerReceipt))
[ordered]@{ receipts = $Receipts; recordingSize = $RecordingSize; runs = $rows; median = $median; nodeSamplePeer = $peerResult } |
    ConvertTo-Json -Depth 5 | Set-Content (Join-Path $OutDir 'results.json')
Write-Host "Results: $(Join-Path $OutDir 'results.json')"
