<#
.SYNOPSIS
    Dypls against what users would otherwise run, measured side by side in one run against the emulator.
    Called by `build.ps1 -Task Bench` after a build. Not part of the test suite; nothing here asserts a time.
#>
[CmdletBinding()]
param(
    [int] $Rows = 1000,
    [int] $ApiLatencyMs = 40,
    [int] $DownloadLatencyMs = 80,
    [int] $RecordingSize = 65536,
    [int] $ThrottleLimit = 16,
    [int] $QpsLimit = 20,
    # Runs per measurement for the parallel peers and Dypls; the median is reported (peer 1 runs once: it is slow and steady).
    [int] $Repeat = 3,
    [string] $OutDir = (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'out/bench')
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

# Median seconds of $Repeat runs of $Run (given the folder to write to, emptied before each run).
function Measure-Median([string] $Dir, [scriptblock] $Run) {
    $times = foreach ($i in 1..$Repeat) {
        Remove-Item -Recurse -Force $Dir -ErrorAction SilentlyContinue
        & $Run
    }
    @($times | Sort-Object)[[int][math]::Floor($Repeat / 2)]
}

function New-BenchCsv([string] $Path, [int] $Count, [string] $Prefix) {
    $time = [DateTimeOffset]::UtcNow.AddHours(-1).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
    1..$Count | ForEach-Object { [pscustomobject]@{ CallId = '{0}{1:D6}' -f $Prefix, $_; CallTime = $time; PoolKey = 'FC100000012345' } } |
        Export-Csv $Path -NoTypeInformation
}

# How many files in a folder are byte-exact with what the emulator serves.
function Get-ExactCount([string] $Dir, [hashtable] $Expected) {
    $ok = 0
    foreach ($f in Get-ChildItem -LiteralPath $Dir -File -ErrorAction SilentlyContinue) {
        $id = [IO.Path]::GetFileNameWithoutExtension($f.Name)
        if ($Expected.ContainsKey($id) -and (Get-FileHash -Algorithm MD5 -LiteralPath $f.FullName).Hash -eq $Expected[$id]) { $ok++ }
    }
    $ok
}

$dyplsPrelude = @"
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$module'
`$cred = [pscredential]::new('$($keys.AccessKeyId)', (ConvertTo-SecureString '$($keys.AccessKeySecret)' -AsPlainText -Force))
"@

Write-Host "Dypls bench (median of $Repeat runs for the parallel peers and Dypls): $Rows rows, API latency $ApiLatencyMs ms, download latency $DownloadLatencyMs ms, $($RecordingSize / 1KB) KB recordings, concurrency $ThrottleLimit"
$emu = Start-DyplsEmulator -ArgumentList '--api-latency-ms', $ApiLatencyMs, '--download-latency-ms', $DownloadLatencyMs, '--recording-size', $RecordingSize
$results = [System.Collections.Generic.List[object]]::new()
try {
    $ep = $emu.BaseUrl
    $csv = Join-Path $OutDir 'calls.csv'
    New-BenchCsv $csv $Rows 'bench-'
    $expected = @{}
    foreach ($r in Import-Csv $csv) {
        $bytes = (Invoke-WebRequest -Uri ($ep + '_emulator/recording?CallId=' + $r.CallId)).Content
        $expected[$r.CallId] = [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '')
    }
    # Transfer time of one recording over loopback, measured, for the ideal-time formula.
    $sw = [Diagnostics.Stopwatch]::StartNew()
    1..5 | ForEach-Object { $null = Invoke-WebRequest -Uri ($ep + '_emulator/recording?CallId=transfer-probe') }
    $transferMs = $sw.Elapsed.TotalMilliseconds / 5

    function Add-Result([string] $Name, [double] $Seconds, [int] $Concurrency, [string] $Dir, [switch] $UrlsOnly) {
        $perRowMs = if ($UrlsOnly) { $ApiLatencyMs } else { $ApiLatencyMs + $DownloadLatencyMs + $transferMs }
        $ideal = $Rows * $perRowMs / 1000 / $Concurrency
        $exact = if ($UrlsOnly) { $null } else { Get-ExactCount $Dir $expected }
        $results.Add([pscustomobject]@{
                Peer = $Name; Concurrency = $Concurrency; Seconds = [math]::Round($Seconds, 2)
                RowsPerSecond = [math]::Round($Rows / $Seconds, 1); Efficiency = [math]::Round($ideal / $Seconds, 3)
                FilesExact = $exact
            })
        Write-Host ("  {0,-44} {1,7:0.00} s  {2,7:0.0} rows/s  efficiency {3,4:P0}  exact {4}" -f $Name, $Seconds, ($Rows / $Seconds), ($ideal / $Seconds), $(if ($UrlsOnly) { 'n/a' } else { "$exact/$Rows" }))
    }

    # 1. The script admins write today (sequential).
    $d = Join-Path $OutDir 'peer1'
    $r = Invoke-DyplsBenchChild @"
`$sw = [Diagnostics.Stopwatch]::StartNew()
& '$PSScriptRoot/Peer-Sequential.ps1' -Endpoint '$ep' -AccessKeyId '$($keys.AccessKeyId)' -AccessKeySecret '$($keys.AccessKeySecret)' -CsvPath '$csv' -Destination '$d'
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds } | ConvertTo-Json -Compress)
"@
    Add-Result 'Peer 1: sequential script (IRM + IWR -OutFile)' $r.seconds 1 $d

    # 2. The best an expert writes without Dypls.
    $d = Join-Path $OutDir 'peer2'
    $seconds = Measure-Median $d {
        (Invoke-DyplsBenchChild @"
`$sw = [Diagnostics.Stopwatch]::StartNew()
& '$PSScriptRoot/Peer-Parallel.ps1' -Endpoint '$ep' -AccessKeyId '$($keys.AccessKeyId)' -AccessKeySecret '$($keys.AccessKeySecret)' -CsvPath '$csv' -Destination '$d' -ThrottleLimit $ThrottleLimit
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds } | ConvertTo-Json -Compress)
"@).seconds
    }
    Add-Result "Peer 2: ForEach-Object -Parallel" $seconds $ThrottleLimit $d

    # 3. Alibaba's official SDK (Node.js @alicloud/pop-core) with a promise pool.
    $interop = Join-Path $root 'tests/interop'
    if (-not (Test-Path (Join-Path $interop 'node_modules/@alicloud/pop-core'))) {
        Push-Location $interop; try { npm ci --no-audit --no-fund --silent | Out-Null } finally { Pop-Location }
    }
    $d = Join-Path $OutDir 'peer3'
    $seconds = Measure-Median $d {
        $sw = [Diagnostics.Stopwatch]::StartNew()
        node (Join-Path $interop 'popcore-bench-peer.js') $ep $keys.AccessKeyId $keys.AccessKeySecret $csv $d $ThrottleLimit
        if ($LASTEXITCODE -ne 0) { throw 'pop-core peer failed' }
        $sw.Elapsed.TotalSeconds
    }
    Add-Result "Peer 3: Alibaba pop-core (Node.js) pool" $seconds $ThrottleLimit $d

    # 4. Dypls.
    foreach ($tl in @($ThrottleLimit, 8, 32) | Select-Object -Unique) {
        $d = Join-Path $OutDir "dypls-$tl"
        $seconds = Measure-Median $d {
            (Invoke-DyplsBenchChild @"
$dyplsPrelude
`$sw = [Diagnostics.Stopwatch]::StartNew()
Import-Csv '$csv' | Save-DyplsRecording -Destination '$d' -Endpoint '$ep' -Credential `$cred -ThrottleLimit $tl | Out-Null
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds } | ConvertTo-Json -Compress)
"@).seconds
        }
        Add-Result "Dypls: Save-DyplsRecording -ThrottleLimit $tl" $seconds $tl $d
    }
    $r = Invoke-DyplsBenchChild @"
$dyplsPrelude
`$sw = [Diagnostics.Stopwatch]::StartNew()
Import-Csv '$csv' | Get-DyplsRecordUrl -Endpoint '$ep' -Credential `$cred | Out-Null
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds } | ConvertTo-Json -Compress)
"@
    Add-Result 'Dypls: Get-DyplsRecordUrl (URLs only)' $r.seconds 16 $null -UrlsOnly

    # Memory: peak working set of the pwsh process for N and 10 x N rows (same concurrency).
    $memory = [ordered]@{}
    foreach ($count in @($Rows, ($Rows * 10))) {
        $mcsv = Join-Path $OutDir "mem-$count.csv"
        New-BenchCsv $mcsv $count "mem$count-"
        $d = Join-Path $OutDir "mem-$count"
        $r = Invoke-DyplsBenchChild @"
$dyplsPrelude
Import-Csv '$mcsv' | Save-DyplsRecording -Destination '$d' -Endpoint '$ep' -Credential `$cred -ThrottleLimit 32 | Out-Null
'BENCH:' + (@{ peak = [Diagnostics.Process]::GetCurrentProcess().PeakWorkingSet64 } | ConvertTo-Json -Compress)
"@
        $memory["$count"] = $r.peak
        Remove-Item -Recurse -Force $d
    }
}
finally { Stop-DyplsEmulator $emu }

# One 512 MB recording: how much does the process grow while it streams?
$big = Start-DyplsEmulator -ArgumentList '--recording-size', (512MB)
try {
    $d = Join-Path $OutDir 'big'
    $r = Invoke-DyplsBenchChild @"
$dyplsPrelude
`$t = [DateTimeOffset]::UtcNow.AddHours(-1).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
[GC]::Collect()
`$before = [Diagnostics.Process]::GetCurrentProcess().WorkingSet64
`$r = [pscustomobject]@{ CallId = 'big-1'; CallTime = `$t; PoolKey = 'FC1' } | Save-DyplsRecording -Destination '$d' -Endpoint '$($big.BaseUrl)' -Credential `$cred
`$p = [Diagnostics.Process]::GetCurrentProcess(); `$p.Refresh()
'BENCH:' + (@{ before = `$before; peak = `$p.PeakWorkingSet64; length = `$r.Length; md5 = `$r.Md5 } | ConvertTo-Json -Compress)
"@
    $bigGrowth = [math]::Max(0, $r.peak - $r.before)
    $bigOk = $r.length -eq 512MB -and $r.md5
    Remove-Item -Recurse -Force $d
}
finally { Stop-DyplsEmulator $big }

# The service's QPS limit: how close does Dypls get, and does any row fail?
$qps = Start-DyplsEmulator -ArgumentList '--qps', $QpsLimit
try {
    $qrows = $QpsLimit * 10
    $qcsv = Join-Path $OutDir 'qps.csv'
    New-BenchCsv $qcsv $qrows 'qps-'
    $d = Join-Path $OutDir 'qps'
    $r = Invoke-DyplsBenchChild @"
$dyplsPrelude
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$out = Import-Csv '$qcsv' | Save-DyplsRecording -Destination '$d' -Endpoint '$($qps.BaseUrl)' -Credential `$cred -ErrorAction SilentlyContinue -ErrorVariable errs
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds; ok = @(`$out).Count; failed = @(`$errs).Count } | ConvertTo-Json -Compress)
"@
    $qpsStats = Invoke-RestMethod ($qps.BaseUrl + '_emulator/stats')
    $qpsRate = $r.ok / $r.seconds
    $qpsResult = [ordered]@{ limit = $QpsLimit; rows = $qrows; seconds = [math]::Round($r.seconds, 2); rowsPerSecond = [math]::Round($qpsRate, 2); shareOfLimit = [math]::Round($qpsRate / $QpsLimit, 3); failedRows = $r.failed; throttledAnswers = $qpsStats.throttled }
}
finally { Stop-DyplsEmulator $qps }

# Import-Module cost, in fresh processes (median of 7).
$importMs = @(1..7 | ForEach-Object {
        (Invoke-DyplsBenchChild "`$t = Measure-Command { Import-Module '$module' }; 'BENCH:' + (@{ ms = `$t.TotalMilliseconds } | ConvertTo-Json -Compress)").ms
    } | Sort-Object)[3]
$startPlain = @(1..7 | ForEach-Object { $c = Get-PwshCommand; $sw = [Diagnostics.Stopwatch]::StartNew(); & $c[0] @($c | Select-Object -Skip 1) -NoProfile -Command 'exit'; $sw.Elapsed.TotalMilliseconds } | Sort-Object)[3]
$startImport = @(1..7 | ForEach-Object { $c = Get-PwshCommand; $sw = [Diagnostics.Stopwatch]::StartNew(); & $c[0] @($c | Select-Object -Skip 1) -NoProfile -Command "Import-Module '$module'; exit"; $sw.Elapsed.TotalMilliseconds } | Sort-Object)[3]

# The cost of signing one request, in a C# loop (no PowerShell call overhead).
$core = Join-Path (Split-Path $module) 'Dypls.Core.dll'
$signUs = (Invoke-DyplsBenchChild @"
Add-Type -Path '$core'
Add-Type -ReferencedAssemblies '$core', 'netstandard', 'System.Collections', 'System.Runtime' -TypeDefinition @'
using System; using System.Collections.Generic; using System.Diagnostics; using System.Reflection;
public static class SignBench {
    // The signer is internal to the core: it is called through one delegate, made once, as the client calls it directly.
    private delegate SortedDictionary<string, string> Sign(string method, IDictionary<string, string> parameters, string id, string secret, string token, DateTimeOffset now, string nonce);
    public static double MicrosecondsPerRequest(int n) {
        Type signer = null;
        foreach (var a in AppDomain.CurrentDomain.GetAssemblies()) if (a.GetName().Name == "Dypls.Core") signer = a.GetType("Dypls.Signing.RpcSigner", true);
        var method = signer.GetMethod("SignRequest", BindingFlags.Public | BindingFlags.Static, null,
            new[] { typeof(string), typeof(IDictionary<string, string>), typeof(string), typeof(string), typeof(string), typeof(DateTimeOffset), typeof(string) }, null);
        var sign = (Sign)Delegate.CreateDelegate(typeof(Sign), method);
        var p = new Dictionary<string, string> { ["Action"] = "QueryRecordFileDownloadUrl", ["Version"] = "2017-05-25", ["Format"] = "JSON", ["CallId"] = "1000000820257625", ["CallTime"] = "2026-11-24 09:15:02", ["PoolKey"] = "FC100000012345" };
        for (int i = 0; i < 2000; i++) sign("POST", p, "LTAI5tDyplsDemoKey0001", "secret", null, DateTimeOffset.UtcNow, Guid.NewGuid().ToString("N"));
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < n; i++) sign("POST", p, "LTAI5tDyplsDemoKey0001", "secret", null, DateTimeOffset.UtcNow, Guid.NewGuid().ToString("N"));
        return sw.Elapsed.TotalMilliseconds * 1000 / n;
    }
}
'@
'BENCH:' + (@{ us = [SignBench]::MicrosecondsPerRequest(50000) } | ConvertTo-Json -Compress)
"@).us

$dypls = $results | Where-Object Peer -eq "Dypls: Save-DyplsRecording -ThrottleLimit $ThrottleLimit"
Write-Host ''
Write-Host ("Dypls (-ThrottleLimit {0}) vs peer 1: {1:0.0}x   vs peer 2: {2:0.00}x   vs peer 3 (pop-core): {3:0.00}x" -f $ThrottleLimit,
    ($results[0].Seconds / $dypls.Seconds), ($results[1].Seconds / $dypls.Seconds), ($results[2].Seconds / $dypls.Seconds))
Write-Host ("Peak working set, Save-DyplsRecording -ThrottleLimit 32: {0} rows {1:0.0} MB, {2} rows {3:0.0} MB ({4:+0.0;-0.0}%)" -f $Rows, ($memory["$Rows"] / 1MB), ($Rows * 10), ($memory["$($Rows * 10)"] / 1MB),
    (100 * ($memory["$($Rows * 10)"] - $memory["$Rows"]) / $memory["$Rows"]))
Write-Host ("One 512 MB recording: the process grew by {0:0.0} MB while streaming it (complete and MD5-checked: {1})" -f ($bigGrowth / 1MB), $bigOk)
Write-Host ("QPS limit {0}/s: {1} rows at {2:0.0} rows/s = {3:P0} of the limit, {4} failed rows, {5} throttled answers retried" -f $qpsResult.limit, $qpsResult.rows, $qpsResult.rowsPerSecond, $qpsResult.shareOfLimit, $qpsResult.failedRows, $qpsResult.throttledAnswers)
Write-Host ("Import-Module: {0:0} ms inside pwsh; pwsh start {1:0} ms bare, {2:0} ms with Import-Module (+{3:0} ms)" -f $importMs, $startPlain, $startImport, ($startImport - $startPlain))
Write-Host ("Signing one request: {0:0.00} µs" -f $signUs)

[ordered]@{
    settings = [ordered]@{ rows = $Rows; apiLatencyMs = $ApiLatencyMs; downloadLatencyMs = $DownloadLatencyMs; recordingSize = $RecordingSize; throttleLimit = $ThrottleLimit; transferMs = [math]::Round($transferMs, 2) }
    peers = $results; memoryPeakBytes = $memory; bigDownloadGrowthBytes = $bigGrowth; qps = $qpsResult
    importModuleMs = [math]::Round($importMs); pwshStartMs = [math]::Round($startPlain); pwshStartWithImportMs = [math]::Round($startImport); signMicroseconds = [math]::Round($signUs, 2)
} | ConvertTo-Json -Depth 5 | Set-Content (Join-Path $OutDir 'results.json')
Write-Host "Results: $(Join-Path $OutDir 'results.json')"
