<#
.SYNOPSIS
    Dypls on network profiles (near, far, thin; zero latency with 2,000 small recordings; 5 MB recordings with no latency
    and at 40/80 ms), its default
    (-ThrottleLimit Auto) against a sweep of fixed values, against Dypls 0.1 (built from its commit, at its fixed 16) and
    against Alibaba's official SDK peer (Node.js @alicloud/pop-core), all in one run against the emulator. Called by
    `build.ps1 -Task Bench`. Prints wall time, CPU-seconds and peak memory of each process, with ratios. Nothing here
    asserts a time.
#>
[CmdletBinding()]
param(
    [string[]] $Profile = @('near', 'far', 'thin', 'zero', 'big', 'big40'),
    [int[]] $Sweep = @(4, 8, 16, 32, 64, 128),
    [int] $Repeat = 3,
    [string] $OutDir = (Join-Path (Split-Path (Split-Path $PSScriptRoot)) 'out/bench-profiles')
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Import-Module (Join-Path $PSScriptRoot '../Pester/TestHelpers.psm1') -Force
$root = Get-DyplsRepoRoot
$module = Get-DyplsModulePath
$keys = Get-DyplsDemoKeys
# The last run's files are moved aside now and deleted at the end: on ext4 a folder's new files are slow to create for
# up to 5 minutes after many files were deleted near them (the allocator passes over recently freed inodes), which would
# load whichever runs come first.
$previous = "$OutDir.old-$PID"
if (Test-Path $OutDir) { Move-Item $OutDir $previous }
$null = New-Item -ItemType Directory -Force $OutDir

$profiles = @{
    near = @{ Rows = 600; ApiMs = 20; FirstByteMs = 30; Size = 64KB; TotalBps = 0 }
    far  = @{ Rows = 300; ApiMs = 250; FirstByteMs = 300; Size = 64KB; TotalBps = 0 }
    thin = @{ Rows = 60; ApiMs = 20; FirstByteMs = 30; Size = 500KB; TotalBps = 4MB }
    # The cost per recording: no latency at all, so the CPU is the limit.
    zero = @{ Rows = 2000; ApiMs = 0; FirstByteMs = 0; Size = 64KB; TotalBps = 0; Sweep = @(16, 32); WarmRows = 500 }
    # Large recordings: bytes, not requests, are the work; peak memory must stay flat.
    big  = @{ Rows = 200; ApiMs = 0; FirstByteMs = 0; Size = 5MB; TotalBps = 0; Sweep = @(16) }
    # The same at the latencies of Invoke-Bench.ps1 (40 ms API, 80 ms to the first byte): where the issue measured 2.2x.
    big40 = @{ Rows = 200; ApiMs = 40; FirstByteMs = 80; Size = 5MB; TotalBps = 0; Sweep = @(16, 32) }
}

# Dypls 0.1 (the commit that closed the first round: API call, then download, in one slot; fixed 16), built once.
$baselineCommit = '0e8d191'
$baselineModule = Join-Path $OutDir "dypls-0.1/out/Dypls/Dypls.psd1"
$baselineSource = Join-Path $OutDir 'dypls-0.1'
$null = New-Item -ItemType Directory -Force $baselineSource
git -C $root archive $baselineCommit | tar -x -C $baselineSource
if ($LASTEXITCODE -ne 0) { throw "Could not extract Dypls 0.1 ($baselineCommit)" }
Push-Location $baselineSource
try { $pw = Get-PwshCommand; & $pw[0] @($pw | Select-Object -Skip 1) -NoProfile -File ./build.ps1 -Task Build *>&1 | Out-Null } finally { Pop-Location }
if (-not (Test-Path $baselineModule)) { throw "Dypls 0.1 did not build at $baselineModule" }

$interop = Join-Path $root 'tests/interop'
if (-not (Test-Path (Join-Path $interop 'node_modules/@alicloud/pop-core'))) {
    Push-Location $interop; try { npm ci --no-audit --no-fund --silent | Out-Null } finally { Pop-Location }
}

function New-Csv([string] $Path, [int] $Count, [string] $Prefix) {
    $time = [DateTimeOffset]::UtcNow.AddHours(-1).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
    1..$Count | ForEach-Object { [pscustomobject]@{ CallId = '{0}{1:D6}' -f $Prefix, $_; CallTime = $time; PoolKey = 'FC100000012345' } } |
        Export-Csv $Path -NoTypeInformation
}

# One Dypls run in a fresh pwsh: seconds and CPU from the first row to the last result (warm process), and the whole
# process's wall time and CPU (start-up and import included).
function Invoke-Dypls([string] $Ep, [string] $Csv, [string] $Dest, [string] $Limit, [string] $Module = $module, [switch] $Verbose) {
    # Measured runs are plain, as a runbook runs them: -Verbose builds and writes several lines per row (about a tenth
    # more CPU at zero latency). Only the extra run that tells where Auto settled asks for it.
    $tail = if ($Verbose) { "-Verbose 4>&1 | Where-Object { `$_ -is [System.Management.Automation.VerboseRecord] -and `$_.Message -match 'ended at' } | Select-Object -Last 1" } else { '| Out-Null' }
    $script = @"
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$Module'
`$cred = [pscredential]::new('$($keys.AccessKeyId)', (ConvertTo-SecureString '$($keys.AccessKeySecret)' -AsPlainText -Force))
`$rows = Import-Csv '$Csv'
`$p = [Diagnostics.Process]::GetCurrentProcess()
`$cpu0 = `$p.TotalProcessorTime
`$sw = [Diagnostics.Stopwatch]::StartNew()
`$v = `$rows | Save-DyplsRecording -Destination '$Dest' -Endpoint '$Ep' -Credential `$cred -ThrottleLimit $Limit $tail
`$sw.Stop(); `$p.Refresh()
'BENCH:' + (@{ seconds = `$sw.Elapsed.TotalSeconds; spanCpuSeconds = (`$p.TotalProcessorTime - `$cpu0).TotalSeconds; cpuSeconds = `$p.TotalProcessorTime.TotalSeconds; peakMB = `$p.PeakWorkingSet64 / 1MB; settled = "`$(`$v.Message)" } | ConvertTo-Json -Compress)
"@
    $cmd = Get-PwshCommand
    $exe = $cmd[0]; $rest = @($cmd | Select-Object -Skip 1)
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))
    $null = Sync-Disk
    $busy0 = Get-MachineBusySeconds
    $wall = [Diagnostics.Stopwatch]::StartNew()
    $out = & $exe @rest -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand $encoded 2>&1 | Out-String
    $wall.Stop()
    $busy1 = Get-MachineBusySeconds
    $syncAfter = Sync-Disk
    $m = [regex]::Match($out, 'BENCH:(\{.*\})')
    if (-not $m.Success) { throw "Dypls run failed: $out" }
    $r = $m.Groups[1].Value | ConvertFrom-Json
    $r | Add-Member syncAfterSeconds $syncAfter
    $r | Add-Member wallSeconds $wall.Elapsed.TotalSeconds
    $r | Add-Member machineCpuSeconds $(if ($null -ne $busy0) { $busy1 - $busy0 } else { $null })
    $r
}

function Invoke-Sdk([string] $Ep, [string] $Csv, [string] $Dest, [int] $Concurrency) {
    $env:DYPLS_BENCH_REPORT = '1'
    try {
        $null = Sync-Disk
        $busy0 = Get-MachineBusySeconds
        $wall = [Diagnostics.Stopwatch]::StartNew()
        $out = node (Join-Path $interop 'popcore-bench-peer.js') $Ep $keys.AccessKeyId $keys.AccessKeySecret $Csv $Dest $Concurrency 2>&1 | Out-String
        $wall.Stop()
        $busy1 = Get-MachineBusySeconds
        if ($LASTEXITCODE -ne 0) { throw "SDK peer failed: $out" }
        $syncAfter = Sync-Disk
    }
    finally { Remove-Item Env:DYPLS_BENCH_REPORT }
    $r = [regex]::Match($out, 'BENCH:(\{.*\})').Groups[1].Value | ConvertFrom-Json
    $r | Add-Member syncAfterSeconds $syncAfter
    $r | Add-Member wallSeconds $wall.Elapsed.TotalSeconds
    $r | Add-Member machineCpuSeconds $(if ($null -ne $busy0) { $busy1 - $busy0 } else { $null })
    $r
}

# The floor: curl fetching the same recordings at 16 at once into /dev/null (no file, no hash), after the URLs were
# fetched by Get-DyplsRecordUrl in a child pwsh. What the emulator and the loopback alone cost on this machine; no client
# that keeps the bytes can be faster. $null where curl has no --parallel (before 7.66).
function Invoke-NullClient([string] $Ep, [string] $Csv, [string] $Work) {
    $curl = Get-Command curl -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $curl -or -not ((& $curl.Source --help all 2>$null) -match '--parallel-max')) { return $null }
    $urls = "$Work.urls"; $config = "$Work.curl"
    $script = @"
Import-Module '$module'
`$cred = [pscredential]::new('$($keys.AccessKeyId)', (ConvertTo-SecureString '$($keys.AccessKeySecret)' -AsPlainText -Force))
Import-Csv '$Csv' | Get-DyplsRecordUrl -Endpoint '$Ep' -Credential `$cred | ForEach-Object Url | Set-Content '$urls'
"@
    $child = Invoke-ChildPwsh -Script $script
    try {
        if ($child.ExitCode -ne 0 -or -not (Test-Path -LiteralPath $urls)) { throw "Get-DyplsRecordUrl failed for the curl run: $($child.StdErr)" }
        # The URLs carry signatures: they live only in these two files, deleted below.
        (Get-Content $urls | ForEach-Object { "url = `"$_`"`noutput = `"/dev/null`"" }) -join "`n" | Set-Content $config
        $null = Sync-Disk
        $wall = [Diagnostics.Stopwatch]::StartNew()
        & $curl.Source --silent --fail --parallel --parallel-max 16 --config $config
        $wall.Stop()
        if ($LASTEXITCODE -ne 0) { throw "curl failed ($LASTEXITCODE)" }
        [pscustomobject]@{ seconds = $wall.Elapsed.TotalSeconds; spanCpuSeconds = $null; cpuSeconds = $null; wallSeconds = $wall.Elapsed.TotalSeconds; machineCpuSeconds = $null; syncAfterSeconds = 0 }
    }
    finally { Remove-Item -LiteralPath $urls, $config -ErrorAction SilentlyContinue }
}

# Writes every dirty page of the machine to disk and returns the seconds it took (0 where there is no `sync`). Before a
# measured run: a client that syncs (Dypls) would otherwise also write what the run before it left dirty, 1 GB after a
# 5 MB profile's SDK run. After one: the time until that run's bytes were on disk (the SDK peer leaves them in the page
# cache when it reports done; Dypls's are already there), so the two can be compared at equal durability.
function Sync-Disk {
    if (-not (Get-Command sync -CommandType Application -ErrorAction SilentlyContinue)) { return 0 }
    $watch = [Diagnostics.Stopwatch]::StartNew()
    sync
    $watch.Elapsed.TotalSeconds
}

# CPU-seconds the whole machine was busy (Linux: /proc/stat; every process, the kernel's writeback threads too), or $null.
# A process that fsyncs its files is charged for the disk writeback in its own CPU time, one that does not leaves the same
# work to kernel threads: only the machine's total compares the two fairly. The emulator's share is alike for every peer.
function Get-MachineBusySeconds {
    if (-not (Test-Path /proc/stat)) { return $null }
    $f = ((Get-Content /proc/stat -TotalCount 1) -split '\s+') | Select-Object -Skip 1 | ForEach-Object { [double]$_ }
    # user nice system idle iowait irq softirq steal: everything but idle and iowait, in USER_HZ (100 a second).
    ($f[0] + $f[1] + $f[2] + $f[5] + $f[6] + $f[7]) / 100
}

function Get-Median($Runs) { @($Runs | Sort-Object seconds)[[int][math]::Floor(@($Runs).Count / 2)] }

$n = 0
$all = foreach ($name in $Profile) {
    $p = $profiles[$name]
    $emu = Start-DyplsEmulator -ArgumentList '--api-latency-ms', $p.ApiMs, '--download-latency-ms', $p.FirstByteMs, '--recording-size', $p.Size,
        '--download-total-bytes-per-second', $p.TotalBps, '--retention-days', 36500
    try {
        $ep = $emu.BaseUrl
        Write-Host ("Profile {0}: {1} rows, API {2} ms, first byte {3} ms, {4} KB recordings{5}" -f $name, $p.Rows, $p.ApiMs, $p.FirstByteMs, ($p.Size / 1KB),
            $(if ($p.TotalBps) { ", $($p.TotalBps / 1MB) MB/s in total" } else { '' }))
        $run = { param($label) $script:n++; Join-Path $OutDir ("{0}-{1}-{2}" -f $name, $label, $script:n) }
        $results = [Collections.Generic.List[object]]::new()
        $add = {
            param($who, $setting, $r)
            $results.Add([pscustomobject]@{ Profile = $name; Who = $who; Setting = $setting; Seconds = [math]::Round($r.seconds, 2)
                RowsPerSecond = [math]::Round($p.Rows / $r.seconds, 1); SpanCpu = $(if ($null -ne $r.spanCpuSeconds) { [math]::Round($r.spanCpuSeconds, 2) } else { $null })
                ToDisk = [math]::Round($r.seconds + $r.syncAfterSeconds, 2)
                WallSeconds = [math]::Round($r.wallSeconds, 2); ProcessCpu = $(if ($null -ne $r.cpuSeconds) { [math]::Round($r.cpuSeconds, 2) } else { $null })
                MachineCpu = $(if ($null -ne $r.machineCpuSeconds) { [math]::Round($r.machineCpuSeconds, 2) } else { $null })
                PeakMB = $(if ($r.PSObject.Properties['peakMB']) { [math]::Round($r.peakMB) } else { $null }); Note = $(if ($r.PSObject.Properties['settled']) { $r.settled } else { '' }) })
        }
        # A fresh emulator compiles its code on the first requests: one unmeasured run first, so the first measured setting
        # (Auto) pays no more than the others.
        # Where the emulator's CPU is the limit (zero latency) it needs more rows than that before its code has settled.
        $warmRows = if ($p.ContainsKey('WarmRows')) { $p.WarmRows } else { [math]::Min(100, $p.Rows) }
        $csv = Join-Path $OutDir "$name-warm.csv"; New-Csv $csv $warmRows "$name-warm-"; $null = Invoke-Dypls $ep $csv (& $run 'warm') 16
        # Each run gets its own CSV prefix, so no run finds another's files.
        # Auto and the best fixed setting take turns (Auto, the sweep; then Auto, best; Auto, best), so a slow stretch of
        # the shared machine does not fall on one of them only.
        $autoRun = { param($i) $csv = Join-Path $OutDir "$name-auto-$i.csv"; New-Csv $csv $p.Rows "$name-a$i-"; Invoke-Dypls $ep $csv (& $run 'auto') 'Auto' }
        $autoRuns = [Collections.Generic.List[object]]::new()
        $autoRuns.Add((& $autoRun 1))
        $sweepHere = if ($p.ContainsKey('Sweep')) { $p.Sweep } else { $Sweep }
        $fixed = foreach ($c in $sweepHere) { $csv = Join-Path $OutDir "$name-f$c.csv"; New-Csv $csv $p.Rows "$name-f$c-"; [pscustomobject]@{ C = $c; R = (Invoke-Dypls $ep $csv (& $run "f$c") $c) } }
        $best = @($fixed | Sort-Object { $_.R.seconds })[0].C
        $bestRuns = [Collections.Generic.List[object]]::new()
        foreach ($f in $fixed) { if ($f.C -eq $best) { $bestRuns.Add($f.R) } }
        foreach ($i in @(2..$Repeat | Where-Object { $_ -ge 2 })) {
            $autoRuns.Add((& $autoRun $i))
            $csv = Join-Path $OutDir "$name-b$i.csv"; New-Csv $csv $p.Rows "$name-b$i-"; $bestRuns.Add((Invoke-Dypls $ep $csv (& $run 'best') $best))
        }
        $auto = Get-Median $autoRuns
        # Where Auto settled, from one more (unmeasured) run with -Verbose.
        $csv = Join-Path $OutDir "$name-auto-v.csv"; New-Csv $csv $p.Rows "$name-av-"
        $auto | Add-Member -Force settled (Invoke-Dypls $ep $csv (& $run 'auto-v') 'Auto' -Verbose).settled
        & $add 'Dypls' 'Auto' $auto
        foreach ($f in $fixed) { if ($f.C -ne $best) { & $add 'Dypls' "$($f.C)" $f.R } }
        & $add 'Dypls' "$best (best fixed, median)" (Get-Median $bestRuns)
        $v01 = Get-Median @(foreach ($i in 1..$Repeat) { $csv = Join-Path $OutDir "$name-v01-$i.csv"; New-Csv $csv $p.Rows "$name-v01-$i-"; Invoke-Dypls $ep $csv (& $run 'v01') 16 $baselineModule })
        & $add 'Dypls 0.1' '16 (median)' $v01
        $sdk = foreach ($c in $sweepHere) { $csv = Join-Path $OutDir "$name-s$c.csv"; New-Csv $csv $p.Rows "$name-s$c-"; [pscustomobject]@{ C = $c; R = (Invoke-Sdk $ep $csv (& $run "s$c") $c) } }
        # The SDK peer at 16, the reference of the targets, is a median of 3 as Dypls's figures are (one run of it swung
        # 1.87-2.14 s at zero latency between two runs of this bench).
        $sdk16Runs = [Collections.Generic.List[object]]::new()
        foreach ($s in $sdk) { if ($s.C -eq 16) { $sdk16Runs.Add($s.R) } }
        foreach ($i in @(2..$Repeat | Where-Object { $_ -ge 2 })) { $csv = Join-Path $OutDir "$name-s16-$i.csv"; New-Csv $csv $p.Rows "$name-s16-$i-"; $sdk16Runs.Add((Invoke-Sdk $ep $csv (& $run "s16-$i") 16)) }
        $sdk16R = Get-Median $sdk16Runs
        foreach ($s in $sdk) { if ($s.C -eq 16) { $s.R = $sdk16R } }
        & $add 'SDK peer' '16 (median)' $sdk16R
        $sdkBest = @($sdk | Sort-Object { $_.R.seconds })[0]
        & $add 'SDK peer' "$($sdkBest.C) (best)" $sdkBest.R
        # Where bytes are the work, the floor any client meets on this machine.
        if ($p.Size -ge 1MB) {
            $csv = Join-Path $OutDir "$name-null.csv"; New-Csv $csv $p.Rows "$name-null-"
            $floor = Invoke-NullClient $ep $csv (& $run 'null')
            if ($floor) { & $add 'curl to /dev/null' '16' $floor }
        }
        else { $floor = $null }
        $results
        $bestFixed = ($results | Where-Object Setting -like '*best fixed*').Seconds
        $sdk16 = $sdk16R.seconds
        Write-Host ("  {0}: Auto is {1:0.00}x the best fixed ({2}), {3:0.00}x Dypls 0.1, {4:0.00}x the SDK peer at 16 ({9:0.00}x until the bytes are on disk), {5:0.00}x the SDK peer at its best ({6}); CPU-s in the span: Auto {7:0.00}, SDK peer at 16 {8:0.00} (whole node process)" -f $name,
            ($bestFixed / $auto.seconds), $best, ($v01.seconds / $auto.seconds), ($sdk16 / $auto.seconds), ($sdkBest.R.seconds / $auto.seconds), $sdkBest.C,
            $auto.spanCpuSeconds, $sdk16R.cpuSeconds, (($sdk16R.seconds + $sdk16R.syncAfterSeconds) / ($auto.seconds + $auto.syncAfterSeconds)))
        if ($floor) { Write-Host ("  {0}: curl into /dev/null (no file, no hash) took {1:0.00} s, {2:0.00}x the SDK peer at 16: no client that keeps the bytes is faster here" -f $name, $floor.seconds, ($sdk16 / $floor.seconds)) }
    }
    finally { Stop-DyplsEmulator $emu }
    # The 5 MB profiles write about 10 GB each: their files go as soon as they are measured (a few hundred inodes, so no
    # slow creates after it), or the bench alone could fill the disk.
    if ($p.Size -ge 1MB) { Get-ChildItem -LiteralPath $OutDir -Directory -Filter "$name-*" | Remove-Item -Recurse -Force -ErrorAction SilentlyContinue }
}
$all | Format-Table Profile, Who, Setting, Seconds, RowsPerSecond, SpanCpu, ToDisk, WallSeconds, ProcessCpu, MachineCpu, PeakMB, Note -AutoSize | Out-String -Width 220 | Write-Host
Write-Host 'Seconds and SpanCpu: first row to last result inside the process (Dypls: the warm pwsh; SDK peer: as it prints it). ToDisk: Seconds plus the `sync` after the process (the time until its bytes were on disk; every run starts after a `sync`). WallSeconds and ProcessCpu: the whole process, start-up included. MachineCpu: every CPU of the machine over the whole process (emulator and kernel writeback included; meaningful on a quiet machine only).'
$all | ConvertTo-Json | Set-Content (Join-Path $OutDir 'profiles.json')
# This run's predecessor, and any left by a run that stopped before its end.
Get-Item "$OutDir.old-*" -ErrorAction SilentlyContinue | Remove-Item -Recurse -Force -ErrorAction SilentlyContinue
