#Requires -Version 7.2
<#
.SYNOPSIS
    Proof that the tests can fail: hand-made mutants under the Pester suite, then Stryker.NET under the xunit suite.
.DESCRIPTION
    Called by `build.ps1 -Task Mutants` (not part of .ci/run: it takes long).
    Hand-made mutants first: each patch in this folder is applied, the module rebuilt (build.ps1 -Task Build), the Pester
    tests (and xunit filter) that guard it run, and the patch reverted; a mutant the tests survive fails the script (exit 1).
    Then Stryker.NET (the pinned dotnet-stryker tool) mutates folders of src/Dypls.Core under the xunit suite (net10.0) and
    the score per folder is printed. A folder that does not exist is left out, and said so.
.EXAMPLE
    dotnet pwsh ./build.ps1 -Task Mutants -MutantSet HandMade
#>
[CmdletBinding()]
param(
    # Pester.psd1 of the pinned Pester (build.ps1 restores it and passes its path).
    [Parameter(Mandatory)]
    [string] $PesterModule,

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Which part to run.
    [ValidateSet('All', 'HandMade', 'Stryker')]
    [string] $MutantSet = 'All',

    # The folders of src/Dypls.Core that Stryker mutates ('*' for all of Dypls.Core).
    [string[]] $MutateFolders = @('Signing', 'Time', 'Downloads', 'Runs'),

    # Stryker's parallel test runners (the machine is shared: keep it low).
    [ValidateRange(1, 16)]
    [int] $StrykerConcurrency = 2
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot '../Pester/TestHelpers.psm1') -Force   # Get-DyplsRepoRoot, Get-PwshCommand
$Root = Get-DyplsRepoRoot
$Out = Join-Path $Root 'out'

# Hand-made mutants of behaviour that only the Pester suite sees end to end. Each names its patch (this folder), the
# Pester file and the tests in it (Pester FullName wildcards) that must go red, and optionally an xunit filter.
$HandMadeMutants = @(
    @{ Name = 'drop the MD5 check'; Patch = 'md5-check.patch'; Pester = 'tests/Pester/Claims.Tests.ps1'; Filter = @('Atomic: the MD5 is checked*') }
    @{ Name = 'drop If-Range'; Patch = 'if-range.patch'; Pester = 'tests/Pester/Claims.Tests.ps1'; Filter = @('Resumable: If-Range*') }
    @{ Name = 'drop the HTTPS upgrade (downloader)'; Patch = 'https-upgrade.patch'; Pester = 'tests/Pester/Claims.Tests.ps1'; Filter = @('HTTPS: the downloader itself*') }
    @{ Name = 'stop encoding *'; Patch = 'percent-star.patch'; Pester = 'tests/Pester/Emulator.Interop.Tests.ps1'; Filter = @() }
    @{ Name = 'read Unspecified as UTC'; Patch = 'unspecified-utc.patch'; Pester = 'tests/Pester/Get-DyplsRecordUrl.Input.Tests.ps1'; Filter = @('*reads a*datetime*in the machine*') }
    @{ Name = 'skip the recording store lock'; Patch = 'recording-lock.patch'; Pester = 'tests/Pester/Save-DyplsRecording.Overlap.Tests.ps1'; Filter = @('Overlapping runs on one destination*'); Xunit = 'FullyQualifiedName~RecordingStoreTests' }
)

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    # Out-Host: a tool's output is for the reader, never part of a function's return value.
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') exited with $LASTEXITCODE" }
}

function Invoke-ModuleBuild {
    # build.ps1 stays the one place that knows how to build; it throws when the build fails.
    & (Join-Path $Root 'build.ps1') -Task Build -Configuration $Configuration
}

function Invoke-PesterFiltered {
    # One Pester file in a fresh pwsh against out/Dypls, optionally only the tests whose full name matches a filter.
    # Returns passed/failed counts and the names of the failed tests.
    param([Parameter(Mandatory)][string] $Path, [string[]] $Filter = @())
    $summary = Join-Path $Out 'test-results/mutant-pester.json'
    $null = New-Item -ItemType Directory -Force (Split-Path $summary)
    Remove-Item $summary -ErrorAction SilentlyContinue
    $script = {
        param($PesterModule, $Path, $Filter, $SummaryPath)
        Import-Module $PesterModule -Force
        $cfg = New-PesterConfiguration
        $cfg.Run.Path = $Path
        $cfg.Run.PassThru = $true
        $cfg.Output.Verbosity = 'Normal'
        if ($Filter) { $cfg.Filter.FullName = $Filter }
        $r = Invoke-Pester -Configuration $cfg
        $failed = if (-not $r) { 1 } else { $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount }
        $names = @($r.Failed | ForEach-Object { $_.ExpandedPath })
        @{ Passed = [int]$r.PassedCount; Failed = [int]$failed; FailedNames = $names } | ConvertTo-Json | Set-Content $SummaryPath
    }
    $filterText = ($Filter | ForEach-Object { "'" + ($_ -replace "'", "''") + "'" }) -join ','
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
            "& { $script } -PesterModule '$PesterModule' -Path '$(Join-Path $Root $Path)' -Filter @($filterText) -SummaryPath '$summary'"))
    $pwsh = Get-PwshCommand
    $exe = $pwsh[0]; $rest = @($pwsh | Select-Object -Skip 1)
    & $exe @rest -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand $encoded | Out-Host
    if (-not (Test-Path $summary)) { return [pscustomobject]@{ Passed = 0; Failed = 1; FailedNames = @('(the Pester process died)') } }
    $s = Get-Content -Raw $summary | ConvertFrom-Json
    [pscustomobject]@{ Passed = [int]$s.Passed; Failed = [int]$s.Failed; FailedNames = @($s.FailedNames) }
}

function Invoke-HandMadeMutants {
    $rows = @()
    foreach ($m in $HandMadeMutants) {
        $patch = Join-Path $PSScriptRoot $m.Patch
        Write-Host ''
        Write-Host "=== mutant: $($m.Name) ($($m.Patch))"
        if (-not (Test-Path (Join-Path $Root $m.Pester))) {
            $rows += [pscustomobject]@{ Mutant = $m.Name; Result = 'NO TEST FILE'; KilledBy = "$($m.Pester) does not exist: update the table in tests/mutants/Invoke-Mutants.ps1" }
            continue
        }
        & git -C $Root apply --check $patch
        if ($LASTEXITCODE -ne 0) {
            $rows += [pscustomobject]@{ Mutant = $m.Name; Result = 'NOT APPLIED'; KilledBy = "the patch no longer applies: refresh tests/mutants/$($m.Patch)" }
            continue
        }
        Invoke-Native git @('-C', $Root, 'apply', $patch)
        $killers = @()
        $built = $true
        try {
            try { Invoke-ModuleBuild } catch { $built = $false; Write-Host "The mutant does not build: $_" }
            if ($built) {
                $p = Invoke-PesterFiltered -Path $m.Pester -Filter $m.Filter
                if ($p.Failed -gt 0) { $killers += "$(Split-Path -Leaf $m.Pester) ($($p.Failed) failed of $($p.Passed + $p.Failed))" }
                elseif ($p.Passed -eq 0) { $killers += "$(Split-Path -Leaf $m.Pester): NO TEST RAN (filter?)" }
                if ($m.ContainsKey('Xunit')) {
                    & dotnet test (Join-Path $Root 'tests/Dypls.Core.Tests/Dypls.Core.Tests.csproj') -c $Configuration -f net10.0 --no-build --nologo `
                        --filter $m.Xunit --logger 'console;verbosity=minimal' | Out-Host
                    if ($LASTEXITCODE -ne 0) { $killers += "xunit $($m.Xunit -replace '^.*~', '')" }
                }
            }
        }
        finally {
            Invoke-Native git @('-C', $Root, 'apply', '-R', $patch)
        }
        $result = if (-not $built) { 'BUILD FAILED' } elseif ($killers | Where-Object { $_ -notmatch 'NO TEST RAN' }) { 'killed' } else { 'SURVIVED' }
        $rows += [pscustomobject]@{ Mutant = $m.Name; Result = $result; KilledBy = ($killers -join '; ') }
    }
    # Leave out/ built from the real sources.
    Invoke-ModuleBuild
    $rows
}

function Get-StrykerFolderScores {
    # Score per folder of Dypls.Core from Stryker's JSON report: (killed + timeout) / (killed + timeout + survived + no coverage).
    param([Parameter(Mandatory)][string] $Report)
    $json = Get-Content -Raw $Report | ConvertFrom-Json
    $rows = foreach ($file in $json.files.PSObject.Properties) {
        $rel = ($file.Name -replace '\\', '/') -replace '^.*src/Dypls\.Core/', ''
        $folder = if ($rel -match '/') { ($rel -split '/')[0] + '/' } else { '(root)' }
        foreach ($mutant in $file.Value.mutants) {
            [pscustomobject]@{ Folder = $folder; File = $rel; Status = $mutant.status; Mutator = $mutant.mutatorName
                Line = $mutant.location.start.line; Replacement = $mutant.replacement }
        }
    }
    $scores = $rows | Group-Object Folder | Sort-Object Name | ForEach-Object {
        $g = $_.Group
        $killed = @($g | Where-Object Status -in 'Killed', 'Timeout').Count
        $survived = @($g | Where-Object Status -eq 'Survived').Count
        $noCoverage = @($g | Where-Object Status -eq 'NoCoverage').Count
        $valid = $killed + $survived + $noCoverage
        [pscustomobject]@{
            Folder     = $_.Name
            Killed     = $killed
            Survived   = $survived
            NoCoverage = $noCoverage
            Ignored    = @($g | Where-Object Status -in 'Ignored', 'CompileError').Count
            Score      = if ($valid) { '{0:0.0}%' -f (100.0 * $killed / $valid) } else { 'n/a' }
        }
    }
    [pscustomobject]@{ Scores = @($scores); Survivors = @($rows | Where-Object Status -in 'Survived', 'NoCoverage' | Sort-Object File, Line) }
}

function Invoke-Stryker {
    # Only folders that exist: a default may name one that a branch does not have yet.
    $core = Join-Path $Root 'src/Dypls.Core'
    $folders = @($MutateFolders | Where-Object { $_ -eq '*' -or (Test-Path -PathType Container (Join-Path $core $_)) })
    foreach ($missing in @($MutateFolders | Where-Object { $_ -notin $folders })) { Write-Host "Stryker: src/Dypls.Core/$missing does not exist; left out." }
    if (-not $folders) { throw "None of the folders to mutate exists under src/Dypls.Core: $($MutateFolders -join ', ')" }

    $strykerOut = Join-Path $Out 'stryker'
    Remove-Item -Recurse -Force $strykerOut -ErrorAction SilentlyContinue
    $arguments = @('tool', 'run', 'dotnet-stryker', '--', '--output', $strykerOut, '--concurrency', "$StrykerConcurrency")
    foreach ($f in $folders) { $arguments += @('--mutate', $(if ($f -eq '*') { '**/*.cs' } else { "**/$f/**/*.cs" })) }
    Write-Host ''
    Write-Host "=== Stryker.NET on Dypls.Core ($(if ($folders -contains '*') { 'every folder' } else { $folders -join ', ' })), xunit net10.0, concurrency $StrykerConcurrency"
    Push-Location (Join-Path $Root 'tests/Dypls.Core.Tests')
    try { Invoke-Native dotnet $arguments }
    finally { Pop-Location }
    $report = Get-ChildItem $strykerOut -Recurse -Filter 'mutation-report.json' | Select-Object -First 1
    if (-not $report) { throw "Stryker wrote no JSON report under $strykerOut" }
    Get-StrykerFolderScores -Report $report.FullName
}

$started = [DateTime]::UtcNow
$handMade = @()
$stryker = $null
if ($MutantSet -in 'All', 'HandMade') { $handMade = @(Invoke-HandMadeMutants) }
if ($MutantSet -in 'All', 'Stryker') { $stryker = Invoke-Stryker }

Write-Host ''
if ($stryker) {
    Write-Host 'Stryker survivors (and mutants no test covers):'
    $stryker.Survivors | Format-Table Folder, File, Line, Status, Mutator, Replacement -AutoSize -Wrap | Out-String -Width 200 | Write-Host
    Write-Host 'Stryker score per folder of Dypls.Core:'
    $stryker.Scores | Format-Table -AutoSize | Out-String -Width 200 | Write-Host
}
if ($handMade) {
    Write-Host 'Hand-made mutants:'
    $handMade | Format-Table -AutoSize -Wrap | Out-String -Width 200 | Write-Host
}
Write-Host ("Mutants took {0:0} min." -f ([DateTime]::UtcNow - $started).TotalMinutes)
if (@($handMade | Where-Object Result -ne 'killed').Count -gt 0) { exit 1 }
exit 0
