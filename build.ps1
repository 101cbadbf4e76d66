#Requires -Version 7.2
<#
.SYNOPSIS
    Builds, tests and demonstrates Dypls.
.DESCRIPTION
    Build (default): leaves an importable module at out/Dypls and the emulator at out/emulator.
    Test:  Build, then the xunit suites (the core on net10.0 and on net472 through Mono, the emulator on net10.0)
           and the Pester suite (in a fresh pwsh against out/Dypls); prints one line per runner and target, ends with
           one line "N passed, N failed, N skipped", and exits non-zero on any failure or non-zero test exit code.
           Without Mono the net472 lane is reported as skipped, loudly, with its test count.
           Also static checks: the build runs the SDK analyzers (latest-recommended; warnings are errors) and
           `dotnet format --verify-no-changes` checks .editorconfig; its line "format: ok" precedes the runners' lines.
    Package: Build, then out/packages/Dypls.<version>.nupkg (the module, for PSResourceGet/PowerShellGet)
           and out/packages/Dypls.Emulator.<version>.nupkg (the emulator as the .NET tool dypls-emulator).
    Test:  also builds the packages first, because the Pester suite installs them.
    Demo:  Build, start the emulator on a free loopback port, run samples/calls.csv through the cmdlets.
    Bench: Build, then Dypls against the scripts, SDK and module users would otherwise run (tests/bench).
    Mutants: proof that the tests can fail (not part of .ci/run: it takes long): tests/mutants/Invoke-Mutants.ps1, with
           -Configuration, -MutantSet, -MutateFolders and -StrykerConcurrency passed on. Hand-made mutants under the
           Pester suite, then Stryker.NET under the xunit suite; see that script and README "Mutation testing".
.EXAMPLE
    dotnet tool restore; dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Package', 'Bench', 'Mutants')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Pester test files or folders to run instead of tests/Pester (e.g. tests/Pester/Chaos.Tests.ps1).
    [string[]] $PesterPath = @(),

    # Rows in the bench CSV (tests/bench/Invoke-Bench.ps1 -Rows).
    [ValidateRange(10, 100000)]
    [int] $BenchRows = 1000,

    # -Task Mutants: which part to run (All, HandMade or Stryker; default All). Passed on to tests/mutants/Invoke-Mutants.ps1,
    # which holds the defaults of this and the next two.
    [ValidateSet('All', 'HandMade', 'Stryker')]
    [string] $MutantSet,

    # -Task Mutants: the folders of src/Dypls.Core that Stryker mutates ('*' for all of Dypls.Core).
    [string[]] $MutateFolders,

    # -Task Mutants: Stryker's parallel test runners (the machine is shared: keep it low).
    [ValidateRange(1, 16)]
    [int] $StrykerConcurrency
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleOut = Join-Path $Out 'Dypls'
$EmulatorOut = Join-Path $Out 'emulator'
$PackagesOut = Join-Path $Out 'packages'
$PesterVersion = '5.7.1'

function Invoke-Native {
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())
    # Out-Host: a tool's output is for the reader, never part of a function's return value.
    & $FilePath @ArgumentList | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "$FilePath $($ArgumentList -join ' ') exited with $LASTEXITCODE" }
}

function Get-DyplsVersion {
    # The one place the version lives.
    $props = [xml](Get-Content -Raw (Join-Path $Root 'Directory.Build.props'))
    [string]($props.Project.PropertyGroup | ForEach-Object { $_.Version } | Where-Object { $_ } | Select-Object -First 1)
}

# A fresh pwsh of the same installation (dotnet tool or standalone).
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    return @($exe)
}

function Invoke-Build {
    $version = Get-DyplsVersion
    Write-Host "Building Dypls $version ($Configuration)"
    Invoke-Native dotnet @('build', (Join-Path $Root 'Dypls.sln'), '-c', $Configuration, '--nologo', '-v', 'minimal', '-clp:NoSummary')

    $publish = Join-Path $Out 'publish/Dypls'
    Remove-Item -Recurse -Force $publish, $ModuleOut, $EmulatorOut -ErrorAction SilentlyContinue
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/Dypls/Dypls.csproj'), '-c', $Configuration, '--no-build', '--nologo', '-v', 'quiet', '-o', $publish)
    Invoke-Native dotnet @('publish', (Join-Path $Root 'src/Dypls.Emulator/Dypls.Emulator.csproj'), '-c', $Configuration, '--no-build', '--nologo', '-v', 'quiet', '-o', $EmulatorOut)

    # The module folder holds the manifest, assemblies and format file, and nothing else.
    $null = New-Item -ItemType Directory -Force $ModuleOut
    Get-ChildItem $publish -Filter *.dll | Where-Object Name -ne 'System.Management.Automation.dll' | Copy-Item -Destination $ModuleOut
    Copy-Item (Join-Path $publish 'Dypls.format.ps1xml') $ModuleOut
    $manifest = Get-Content -Raw (Join-Path $Root 'Dypls.psd1')
    $stamped = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$version'"
    if ($stamped -eq $manifest -and $manifest -notmatch "'$([regex]::Escape($version))'") { throw 'Could not stamp ModuleVersion into Dypls.psd1' }
    Set-Content -Path (Join-Path $ModuleOut 'Dypls.psd1') -Value $stamped -Encoding utf8BOM
    if (Test-Path (Join-Path $ModuleOut 'System.Management.Automation.dll')) { throw 'System.Management.Automation.dll must never ship in the module' }
    Invoke-HelpBuild
    Write-Host "Module: $ModuleOut"
    Write-Host "Emulator: $EmulatorOut"
}

function Invoke-PwshScript {
    # A fresh pwsh, so loading the just-built Dypls.dll never pins it in this (build) process.
    param([Parameter(Mandatory)][string] $Script)
    $pwsh = Get-PwshCommand
    $exe = $pwsh[0]; $rest = @($pwsh | Select-Object -Skip 1)
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    & $exe @rest -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand $encoded | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "pwsh exited with $LASTEXITCODE" }
}

function Invoke-HelpBuild {
    # Help sources: src/Dypls/help/*.md (see its README.md); syntax and parameter facts come from the built cmdlets.
    $helpOut = Join-Path $ModuleOut 'en-US'
    Invoke-PwshScript @"
`$ErrorActionPreference = 'Stop'
Import-Module '$(Join-Path $Root 'src/Dypls/help/DyplsHelp.psm1')'
Import-Module '$(Join-Path $ModuleOut 'Dypls.psd1')'
ConvertTo-DyplsMaml -SourceDirectory '$(Join-Path $Root 'src/Dypls/help')' -Command (Get-Command -Module Dypls -CommandType Cmdlet) -OutFile '$(Join-Path $helpOut 'Dypls.dll-Help.xml')'
ConvertTo-DyplsAboutText -Path '$(Join-Path $Root 'src/Dypls/help/about_Dypls.md')' -OutFile '$(Join-Path $helpOut 'about_Dypls.help.txt')'
"@
    Write-Host "Help: $helpOut"
}

function Invoke-Package {
    Invoke-Build
    $version = Get-DyplsVersion
    $null = New-Item -ItemType Directory -Force $PackagesOut
    Remove-Item (Join-Path $PackagesOut 'Dypls.*.nupkg') -ErrorAction SilentlyContinue
    Invoke-Native dotnet @('pack', (Join-Path $Root 'src/Dypls.Emulator/Dypls.Emulator.csproj'), '-c', $Configuration, '--no-build', '--nologo', '-v', 'quiet', '-o', $PackagesOut)

    # PSResourceGet (in PowerShell 7.4+) makes the module package. The repository registration is throwaway:
    # a fresh pwsh with HOME in a temp folder, so the user's own repository list is never touched.
    $tempHome = Join-Path ([IO.Path]::GetTempPath()) ('dypls-publish-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $tempHome
    $savedHome = $env:HOME
    try {
        $env:HOME = $tempHome
        Invoke-PwshScript @"
`$ErrorActionPreference = 'Stop'
# NuGet inside PSResourceGet writes a NuGet/NuGet.Config below the process's current directory: keep it in the temp folder.
[Environment]::CurrentDirectory = '$tempHome'
`$name = 'DyplsLocal'
Register-PSResourceRepository -Name `$name -Uri '$PackagesOut' -Trusted
try { Publish-PSResource -Path '$ModuleOut' -Repository `$name }
finally { Unregister-PSResourceRepository -Name `$name }
"@
    }
    finally {
        $env:HOME = $savedHome
        Remove-Item -Recurse -Force $tempHome -ErrorAction SilentlyContinue
    }
    foreach ($p in "Dypls.$version.nupkg", "Dypls.Emulator.$version.nupkg") {
        if (-not (Test-Path (Join-Path $PackagesOut $p))) { throw "Packaging did not produce $p" }
    }
    Write-Host "Packages: $PackagesOut"
}

function Get-PesterModulePath {
    Invoke-Native dotnet @('restore', (Join-Path $Root 'tests/tools/Dypls.TestTools.csproj'), '--nologo', '-v', 'quiet')
    $cache = (& dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $path = Join-Path $cache.Trim() "pester/$PesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $path)) { throw "Pester $PesterVersion was not restored: $path" }
    $path
}

function Get-XunitCounts {
    # One lane's counts from its trx. Skipped tests (xunit's [Fact(Skip=...)]) are "notExecuted" there; each is
    # named, so a skip is never silent.
    param([Parameter(Mandatory)][string] $Trx)
    $run = ([xml](Get-Content -Raw $Trx)).TestRun
    $c = $run.ResultSummary.Counters
    $skippedNames = @($run.GetElementsByTagName('UnitTestResult') | Where-Object { $_.GetAttribute('outcome') -eq 'NotExecuted' } | ForEach-Object { $_.GetAttribute('testName') })
    foreach ($n in $skippedNames) { Write-Host "  skipped: $n" }
    [pscustomobject]@{
        Passed  = [int]$c.passed
        Failed  = [int]$c.failed + [int]$c.error + [int]$c.timeout + [int]$c.aborted
        # Some vstest versions leave the counter at 0 for skipped tests; the results themselves still say NotExecuted.
        Skipped = [math]::Max([int]$c.notExecuted, $skippedNames.Count)
        Total   = [int]$c.total
    }
}

function Test-NetFrameworkRunner {
    # net472 tests run natively on Windows; elsewhere through Mono (Debian's mono-complete; .ci/run installs it).
    if ($IsWindows) { return $true }
    # .ci/run may be installing Mono in the background: it names a file that appears when apt-get has finished.
    $ready = $env:DYPLS_MONO_READY_FILE
    if ($ready -and -not (Test-Path $ready)) {
        Write-Host 'Waiting for the Mono install that .ci/run started...'
        $deadline = [DateTime]::UtcNow.AddMinutes(10)
        while (-not (Test-Path $ready) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Seconds 1 }
    }
    if ($ready -and (Test-Path $ready) -and (Get-Content -Raw $ready).Trim() -ne 'installed') {
        Write-Host "The Mono install failed; the end of its log ($ready.log):"
        Get-Content "$ready.log" -Tail 15 -ErrorAction SilentlyContinue | Out-Host
    }
    $mono = Get-Command mono -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if (-not $mono) { return $false }
    & $mono.Source --version *> $null
    return $LASTEXITCODE -eq 0
}

function Invoke-XunitLane {
    # One `dotnet test` for one project and target framework. A non-zero exit code is a failure even when the trx
    # counts none (a crashed test host, a build problem): the lane can fail, never pass by accident.
    param(
        [Parameter(Mandatory)][string] $Name,
        [Parameter(Mandatory)][string] $Project,
        [Parameter(Mandatory)][string] $Framework
    )
    $results = Join-Path $Out 'test-results'
    $trxName = 'xunit-' + ($Name -replace '[^A-Za-z0-9.]+', '-') + '.trx'
    $trx = Join-Path $results $trxName
    Remove-Item $trx -ErrorAction SilentlyContinue
    Write-Host "--- xunit $Name"
    & dotnet test (Join-Path $Root $Project) -c $Configuration -f $Framework --no-build --nologo `
        --logger 'console;verbosity=minimal' --logger "trx;LogFileName=$trxName" --results-directory $results | Out-Host
    $exit = $LASTEXITCODE
    $counts = if (Test-Path $trx) { Get-XunitCounts -Trx $trx } else { [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0; Total = 0 } }
    if ($exit -ne 0 -and $counts.Failed -eq 0) {
        Write-Host "dotnet test ($Name) exited with code $exit although no test failed: counted as a failure."
        $counts.Failed = 1
    }
    if ($counts.Total -eq 0 -and $counts.Failed -eq 0) {
        Write-Host "dotnet test ($Name) ran no test: counted as a failure."
        $counts.Failed = 1
    }
    [pscustomobject]@{ Name = "xunit $Name"; Passed = $counts.Passed; Failed = $counts.Failed; Skipped = $counts.Skipped; Note = '' }
}

function Invoke-XunitSuite {
    # The core's tests on both runtimes the module meets (PowerShell 7: net10.0; Windows PowerShell 5.1: net472),
    # then the emulator's own tests (net10.0 only: the emulator is ASP.NET Core).
    $core = 'tests/Dypls.Core.Tests/Dypls.Core.Tests.csproj'
    $lanes = @()
    $lanes += Invoke-XunitLane -Name 'net10.0' -Project $core -Framework 'net10.0'
    if (Test-NetFrameworkRunner) {
        $lanes += Invoke-XunitLane -Name 'net472' -Project $core -Framework 'net472'
    }
    else {
        # Loud, and counted: every test of the lane is a skipped test in the closing line.
        $n = $lanes[0].Passed + $lanes[0].Failed + $lanes[0].Skipped
        $why = 'Mono is not installed (apt-get install -y mono-complete; .ci/run does it), so the .NET Framework lane did not run'
        Write-Host ''
        Write-Host "!!! xunit net472 SKIPPED: $why. The Windows PowerShell 5.1 code paths are UNTESTED in this run. !!!" -ForegroundColor Yellow
        Write-Host ''
        $lanes += [pscustomobject]@{ Name = 'xunit net472'; Passed = 0; Failed = 0; Skipped = $n; Note = " (NOT RUN: $why)" }
    }
    $lanes += Invoke-XunitLane -Name 'emulator (net10.0)' -Project 'tests/Dypls.Emulator.Tests/Dypls.Emulator.Tests.csproj' -Framework 'net10.0'
    $lanes
}

function Invoke-PesterSuite {
    $pester = Get-PesterModulePath
    $summary = Join-Path $Out 'test-results/pester-summary.json'
    Remove-Item $summary -ErrorAction SilentlyContinue
    $paths = if ($PesterPath) { $PesterPath } else { @(Join-Path $Root 'tests/Pester') }
    $pwsh = Get-PwshCommand
    $script = {
        param($PesterModule, $Paths, $SummaryPath)
        Import-Module $PesterModule -Force
        $cfg = New-PesterConfiguration
        $cfg.Run.Path = $Paths
        $cfg.Run.PassThru = $true
        $cfg.Output.Verbosity = 'Detailed'
        $r = Invoke-Pester -Configuration $cfg
        # No result or no test at all is a failure, never a silent pass.
        $failed = if (-not $r -or $r.TotalCount -eq 0) { 1 } else { $r.FailedCount + $r.FailedBlocksCount + $r.FailedContainersCount }
        $skippedNames = @($r.Skipped | ForEach-Object { $_.ExpandedPath })
        @{ Passed = [int]$r.PassedCount; Failed = $failed; Skipped = [int]$r.SkippedCount; SkippedNames = $skippedNames } | ConvertTo-Json | Set-Content $SummaryPath
    }
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes(
        "& { $script } -PesterModule '$pester' -Paths @($(($paths | ForEach-Object { "'$_'" }) -join ',')) -SummaryPath '$summary'"))
    $exe = $pwsh[0]; $rest = @($pwsh | Select-Object -Skip 1)
    & $exe @rest -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand $encoded | Out-Host
    if (-not (Test-Path $summary)) {
        # The Pester process died before it could count: say so, with its exit code, rather than a bare failure.
        Write-Host "The Pester process exited with code $LASTEXITCODE before writing its summary."
        return [pscustomobject]@{ Name = 'Pester'; Passed = 0; Failed = 1; Skipped = 0; Note = '' }
    }
    $s = Get-Content -Raw $summary | ConvertFrom-Json
    foreach ($n in @($s.SkippedNames)) { if ($n) { Write-Host "  skipped: $n" } }
    [pscustomobject]@{ Name = 'Pester'; Passed = [int]$s.Passed; Failed = [int]$s.Failed; Skipped = [int]$s.Skipped; Note = '' }
}

function Invoke-FormatCheck {
    # The conventions in .editorconfig (whitespace, usings, naming, namespace style): `dotnet format` reports what it
    # would change and changes nothing. The SDK analyzers already ran in the build (warnings are errors).
    Write-Host '--- dotnet format --verify-no-changes'
    & dotnet format (Join-Path $Root 'Dypls.sln') --verify-no-changes --no-restore -v quiet | Out-Host
    if ($LASTEXITCODE -eq 0) { return 'ok' }
    "FAILED (exit code $LASTEXITCODE): the files above break .editorconfig; run: dotnet format Dypls.sln"
}

function Invoke-Test {
    Invoke-Package
    $format = Invoke-FormatCheck
    $lanes = @(Invoke-XunitSuite)
    $lanes += Invoke-PesterSuite
    # The format check, one line per runner and target, then the closing line.
    Write-Host ''
    Write-Host "format: $format"
    foreach ($l in $lanes) { Write-Host "$($l.Name): $($l.Passed) passed, $($l.Failed) failed, $($l.Skipped) skipped$($l.Note)" }
    $passed = ($lanes | Measure-Object Passed -Sum).Sum
    $failed = ($lanes | Measure-Object Failed -Sum).Sum
    $skipped = ($lanes | Measure-Object Skipped -Sum).Sum
    Write-Host "$passed passed, $failed failed, $skipped skipped"
    if ($failed -gt 0 -or $passed -eq 0 -or $format -ne 'ok') { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    $pwsh = Get-PwshCommand
    $exe = $pwsh[0]; $rest = @($pwsh | Select-Object -Skip 1)
    & $exe @rest -NoProfile -NonInteractive -File (Join-Path $Root 'samples/Invoke-Demo.ps1')
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Package' { Invoke-Package }
    'Mutants' {
        # The mutation machinery lives beside the tests; its defaults are its own. It builds through this script.
        $mutants = @{ PesterModule = (Get-PesterModulePath); Configuration = $Configuration }
        foreach ($name in 'MutantSet', 'MutateFolders', 'StrykerConcurrency') {
            if ($PSBoundParameters.ContainsKey($name)) { $mutants[$name] = $PSBoundParameters[$name] }
        }
        & (Join-Path $Root 'tests/mutants/Invoke-Mutants.ps1') @mutants
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    }
    'Bench' {
        Invoke-Build
        & (Join-Path $Root 'tests/bench/Invoke-Bench.ps1') -Rows $BenchRows
        & (Join-Path $Root 'tests/bench/Invoke-ReceiptBench.ps1')
        # Near, far and thin networks: -ThrottleLimit Auto against a sweep of fixed values and the SDK peer.
        & (Join-Path $Root 'tests/bench/Invoke-NetworkProfiles.ps1')
    }
}
