# Shared by the Pester suites: start the built emulator as a real process and find the built module.
Set-StrictMode -Version Latest

$script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path

function Get-DyplsRepoRoot { $script:RepoRoot }

function Get-DyplsModulePath { Join-Path $script:RepoRoot 'out/Dypls/Dypls.psd1' }

# The emulator's always-on demo keys (see src/Dypls.Emulator/EmulatorDefaults.cs).
$script:DemoKeys = [pscustomobject]@{
    AccessKeyId     = 'LTAI5tDyplsDemoKey0001'
    AccessKeySecret = 'DyplsDemoSecret0000000000000001'
    StsAccessKeyId  = 'STS.DyplsDemoKey0001'
    StsSecret       = 'DyplsDemoStsSecret000000000001'
    StsToken        = 'DyplsDemoSecurityToken0001'
    # Authenticates, but RAM denies the action: 403 Forbidden.RAM.
    DeniedAccessKeyId = 'LTAI5tDyplsDeniedKey01'
    DeniedSecret      = 'DyplsDeniedSecret00000000000001'
}
function Get-DyplsDemoKeys { $script:DemoKeys }

function Start-DyplsEmulator {
    <#
    Starts out/emulator/Dypls.Emulator.dll on a free loopback port; returns @{ BaseUrl; Process; HttpsBaseUrl; CertificateFile }
    (the last two only with --https-port in ArgumentList).
    #>
    param([string[]] $ArgumentList = @())
    $dll = Join-Path $script:RepoRoot 'out/emulator/Dypls.Emulator.dll'
    if (-not (Test-Path $dll)) { throw "The emulator is not built: $dll (run ./build.ps1)" }
    $psi = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
    $psi.ArgumentList.Add($dll)
    $psi.ArgumentList.Add('--port'); $psi.ArgumentList.Add('0')
    foreach ($a in $ArgumentList) { $psi.ArgumentList.Add($a) }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $proc = [System.Diagnostics.Process]::Start($psi)
    $deadline = [DateTime]::UtcNow.AddSeconds(30)
    $baseUrl = $null
    while (-not $baseUrl -and [DateTime]::UtcNow -lt $deadline) {
        $line = $proc.StandardOutput.ReadLine()
        if ($null -eq $line) { break }
        if ($line -match 'Listening on (http://\S+)') { $baseUrl = $Matches[1] }
    }
    $httpsUrl = $null; $certFile = $null
    if ($baseUrl -and $ArgumentList -contains '--https-port') {
        $line = $proc.StandardOutput.ReadLine()
        if ($line -match '^HTTPS on (https://\S+) \(certificate (.+)\)$') { $httpsUrl = $Matches[1]; $certFile = $Matches[2] }
        else { $baseUrl = $null }
    }
    if (-not $baseUrl) {
        $err = $proc.StandardError.ReadToEnd()
        try { $proc.Kill() } catch { }
        throw "The emulator did not start: $err"
    }
    # Keep draining stdout so the emulator never blocks on a full pipe.
    $null = $proc.StandardOutput.ReadToEndAsync()
    $null = $proc.StandardError.ReadToEndAsync()
    [pscustomobject]@{ BaseUrl = $baseUrl; Process = $proc; HttpsBaseUrl = $httpsUrl; CertificateFile = $certFile }
}

function Stop-DyplsEmulator {
    param([Parameter(Mandatory)] $Emulator)
    if ($Emulator -and -not $Emulator.Process.HasExited) {
        $Emulator.Process.Kill($true)
        $null = $Emulator.Process.WaitForExit(5000)
    }
}

function Get-DyplsEmulatorStats {
    param([Parameter(Mandatory)] $Emulator)
    Invoke-RestMethod -Uri ($Emulator.BaseUrl.TrimEnd('/') + '/_emulator/stats')
}

# The emulator's demo STS settings (see src/Dypls.Emulator/EmulatorDefaults.cs).
$script:DemoSts = [pscustomobject]@{
    RoleArn         = 'acs:ram::1234567890123456:role/dypls-reader'
    DeniedRoleArn   = 'acs:ram::1234567890123456:role/dypls-denied'
    OidcProviderArn = 'acs:ram::1234567890123456:oidc-provider/dypls-demo'
    OidcToken       = 'DyplsDemoOidcToken0001'
}
function Get-DyplsDemoSts { $script:DemoSts }

function Set-DyplsEmulatorSetting {
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)][hashtable] $Settings)
    $null = Invoke-RestMethod -Method Post -Uri ($Emulator.BaseUrl.TrimEnd('/') + '/_emulator/settings') -ContentType 'application/json' -Body ($Settings | ConvertTo-Json)
}

function Reset-DyplsEmulatorStats {
    param([Parameter(Mandatory)] $Emulator)
    $null = Invoke-RestMethod -Method Post -Uri ($Emulator.BaseUrl.TrimEnd('/') + '/_emulator/reset')
}

function New-DyplsDemoCredential {
    <# -Denied: the demo identity whose signature verifies but whose RAM policy denies the action (403 Forbidden.RAM). #>
    param([switch] $Sts, [string] $Secret, [switch] $Denied)
    $k = $script:DemoKeys
    $id = if ($Denied) { $k.DeniedAccessKeyId } elseif ($Sts) { $k.StsAccessKeyId } else { $k.AccessKeyId }
    $sec = if ($Secret) { $Secret } elseif ($Denied) { $k.DeniedSecret } elseif ($Sts) { $k.StsSecret } else { $k.AccessKeySecret }
    [pscredential]::new($id, (ConvertTo-SecureString $sec -AsPlainText -Force))
}

# The call time of a call made an hour ago, as the service writes it (Beijing time).
function Get-RecentCallTime {
    param([int] $MinutesAgo = 60)
    [DateTimeOffset]::UtcNow.AddMinutes(-$MinutesAgo).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
}

function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($exe) -eq 'dotnet') { return @($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    @($exe)
}

function Invoke-ChildPwsh {
    <#
    Runs a script in a fresh pwsh with a controlled environment: no ALIBABA_CLOUD_* variables from
    this process, HOME as given. Returns stdout, stderr and the exit code.
    #>
    param(
        [Parameter(Mandatory)][string] $Script,
        [hashtable] $Environment = @{},
        [string] $HomeDirectory
    )
    $cmd = Get-PwshCommand
    $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in ($cmd | Select-Object -Skip 1)) { $psi.ArgumentList.Add($a) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand') { $psi.ArgumentList.Add($a) }
    $psi.ArgumentList.Add([Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script)))
    foreach ($name in @($psi.Environment.Keys)) {
        if ($name -like 'ALIBABA_CLOUD_*' -or $name -like 'DYPLS_*') { $null = $psi.Environment.Remove($name) }
    }
    if (-not $HomeDirectory) { $HomeDirectory = Join-Path ([IO.Path]::GetTempPath()) ("dypls-home-" + [guid]::NewGuid().ToString('N')) }
    $null = New-Item -ItemType Directory -Force $HomeDirectory
    $psi.Environment['HOME'] = $HomeDirectory
    $psi.Environment['USERPROFILE'] = $HomeDirectory
    $psi.Environment['DYPLS_TEST_MODULE'] = Get-DyplsModulePath
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    $errTask = $p.StandardError.ReadToEndAsync()
    $out = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    [pscustomobject]@{ ExitCode = $p.ExitCode; StdOut = $out; StdErr = $errTask.Result }
}

function Set-DyplsEmulatorSetting {
    <# POST /_emulator/settings with these settings (camelCase names, see src/Dypls.Emulator/README.md). #>
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)][hashtable] $Settings)
    $null = Invoke-RestMethod -Method Post -Uri ($Emulator.BaseUrl.TrimEnd('/') + '/_emulator/settings') -ContentType 'application/json' -Body ($Settings | ConvertTo-Json -Compress)
}

function Reset-DyplsEmulatorStats {
    param([Parameter(Mandatory)] $Emulator)
    $null = Invoke-RestMethod -Method Post -Uri ($Emulator.BaseUrl.TrimEnd('/') + '/_emulator/reset')
}

function Get-DyplsExpectedMd5 {
    <# Lower-case MD5 of what the emulator serves for a CallId now (its current recordingVersion). #>
    param([Parameter(Mandatory)] $Emulator, [Parameter(Mandatory)][string] $CallId)
    $bytes = (Invoke-WebRequest -Uri ($Emulator.BaseUrl.TrimEnd('/') + '/_emulator/recording?CallId=' + [uri]::EscapeDataString($CallId))).Content
    [BitConverter]::ToString([Security.Cryptography.MD5]::HashData($bytes)).Replace('-', '').ToLowerInvariant()
}

function Get-DyplsFileMd5 {
    param([Parameter(Mandatory)][string] $Path)
    (Get-FileHash -Algorithm MD5 -LiteralPath $Path).Hash.ToLowerInvariant()
}

function Get-DyplsHiddenFiles {
    <# The save engine's working files left in a folder tree: .<name>.dypls-partial, .dypls-partial.meta, .dypls-lock (any .*.dypls-*). #>
    param([Parameter(Mandatory)][string] $Path)
    @(Get-ChildItem -LiteralPath $Path -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -like '.*.dypls-*' })
}

function Start-DyplsChildPwsh {
    <#
    Starts a script in a fresh pwsh without waiting (environment as in Invoke-ChildPwsh). Returns
    @{ Process; StdOut (task); StdErr (task) }; finish with Wait-DyplsChildPwsh.
    #>
    param([Parameter(Mandatory)][string] $Script, [hashtable] $Environment = @{})
    $cmd = Get-PwshCommand
    $psi = [System.Diagnostics.ProcessStartInfo]::new($cmd[0])
    foreach ($a in ($cmd | Select-Object -Skip 1)) { $psi.ArgumentList.Add($a) }
    foreach ($a in '-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand') { $psi.ArgumentList.Add($a) }
    $psi.ArgumentList.Add([Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script)))
    foreach ($name in @($psi.Environment.Keys)) {
        if ($name -like 'ALIBABA_CLOUD_*' -or $name -like 'DYPLS_*') { $null = $psi.Environment.Remove($name) }
    }
    $homeDir = Join-Path ([IO.Path]::GetTempPath()) ("dypls-home-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory -Force $homeDir
    $psi.Environment['HOME'] = $homeDir
    $psi.Environment['USERPROFILE'] = $homeDir
    $psi.Environment['DYPLS_TEST_MODULE'] = Get-DyplsModulePath
    foreach ($k in $Environment.Keys) { $psi.Environment[$k] = [string]$Environment[$k] }
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.UseShellExecute = $false
    $p = [System.Diagnostics.Process]::Start($psi)
    [pscustomobject]@{ Process = $p; StdOut = $p.StandardOutput.ReadToEndAsync(); StdErr = $p.StandardError.ReadToEndAsync() }
}

function Wait-DyplsChildPwsh {
    <# Waits for a Start-DyplsChildPwsh process; kills it (and says so) after -TimeoutSec. Returns ExitCode, StdOut, StdErr, TimedOut. #>
    param([Parameter(Mandatory)] $Child, [int] $TimeoutSec = 300)
    $timedOut = -not $Child.Process.WaitForExit($TimeoutSec * 1000)
    if ($timedOut) { try { $Child.Process.Kill($true) } catch { }; $null = $Child.Process.WaitForExit(10000) }
    else { $Child.Process.WaitForExit() }
    [pscustomobject]@{ ExitCode = $Child.Process.ExitCode; StdOut = $Child.StdOut.Result; StdErr = $Child.StdErr.Result; TimedOut = $timedOut }
}

function Get-DyplsChildPrelude {
    <#
    The start of a child script for Start-DyplsChildPwsh: the built module, a credential $cred (the demo key, or the one
    named) and Out-RunReport, which prints what a run gave (results, per-row errors, the terminating error) as JSON.
    #>
    param([string] $KeyId = $script:DemoKeys.AccessKeyId, [string] $Secret = $script:DemoKeys.AccessKeySecret)
    @"
`$ErrorActionPreference = 'Stop'
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$KeyId', (ConvertTo-SecureString '$Secret' -AsPlainText -Force))
function Out-RunReport(`$Out, `$Errs, `$Terminating, `$Started) {
    [pscustomobject]@{
        Started = `$Started.ToString('o'); Ended = [DateTimeOffset]::UtcNow.ToString('o')
        Results = @(@(`$Out) | Where-Object { `$_ } | ForEach-Object { [pscustomobject]@{ CallId = `$_.CallId; Status = [string]`$_.Status; Path = `$_.Path } })
        Errors = @(@(`$Errs) | Where-Object { `$_ -is [System.Management.Automation.ErrorRecord] -and -not [object]::ReferenceEquals(`$_, `$Terminating) } | ForEach-Object { [pscustomobject]@{ Id = `$_.FullyQualifiedErrorId; Message = `$_.Exception.Message; CallId = [string]`$_.TargetObject.CallId } })
        Terminating = if (`$Terminating) { [pscustomobject]@{ Id = `$Terminating.FullyQualifiedErrorId; Message = `$Terminating.Exception.Message } } else { `$null }
    } | ConvertTo-Json -Depth 5 -Compress
}
"@
}

function Format-DyplsRunErrors {
    <# The first errors of an Out-RunReport, on one line, for a -Because. #>
    param($Errors)
    (@($Errors) | Select-Object -First 5 | ForEach-Object { "$($_.Id): $($_.Message)" }) -join ' | '
}

function Invoke-DyplsBenchChild {
    <# Runs a bench script in a fresh pwsh; the script prints "BENCH:<json>" as its last word, returned as an object. #>
    param([Parameter(Mandatory)][string] $Script)
    $cmd = Get-PwshCommand
    $encoded = [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($Script))
    $out = & $cmd[0] @($cmd | Select-Object -Skip 1) -NoProfile -NonInteractive -OutputFormat Text -EncodedCommand $encoded 2>&1 | Out-String
    $m = [regex]::Match($out, 'BENCH:(\{.*\})')
    if (-not $m.Success) { throw "bench child failed: $out" }
    $m.Groups[1].Value | ConvertFrom-Json
}

Export-ModuleMember -Function *
