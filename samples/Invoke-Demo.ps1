<#
.SYNOPSIS
    The Dypls demo: starts the local Dyplsapi emulator, runs samples/calls.csv through the real
    cmdlets with the emulator's demo keys, shows the results and stops the emulator.
    Run it through `dotnet pwsh ./build.ps1 -Task Demo`, which builds first.
#>
[CmdletBinding()]
param()
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent

Import-Module (Join-Path $root 'tests/Pester/TestHelpers.psm1')   # Start-/Stop-DyplsEmulator
Import-Module (Join-Path $root 'out/Dypls/Dypls.psd1')

$emulator = Start-DyplsEmulator
try {
    Write-Host "Emulator: $($emulator.BaseUrl)"
    $keys = Get-DyplsDemoKeys
    $credential = [pscredential]::new($keys.AccessKeyId, (ConvertTo-SecureString $keys.AccessKeySecret -AsPlainText -Force))

    # Rows keep the call's real time: shift the sample's date to yesterday so it is inside the retention window.
    $yesterday = (Get-Date).ToUniversalTime().AddHours(8).AddDays(-1).ToString('yyyy-MM-dd')
    $rows = Import-Csv (Join-Path $PSScriptRoot 'calls.csv') | ForEach-Object {
        $_.call_time = $yesterday + $_.call_time.Substring(10); $_
    }

    Write-Host "`nImport-Csv samples/calls.csv | Get-DyplsRecordUrl -Endpoint $($emulator.BaseUrl) -Credential `$demo"
    $urls = $rows | Get-DyplsRecordUrl -Endpoint $emulator.BaseUrl -Credential $credential -ErrorAction SilentlyContinue -ErrorVariable failed
    $urls | Format-Table | Out-String -Width 200 | Write-Host
    foreach ($e in $failed) { Write-Host "Error ($($e.FullyQualifiedErrorId)) for $($e.TargetObject.call_id): $($e.Exception.Message)" -ForegroundColor Yellow }
    Write-Host ("{0} URLs, {1} errors" -f @($urls).Count, @($failed).Count)

    $dest = Join-Path ([IO.Path]::GetTempPath()) 'dypls-demo-recordings'
    Remove-Item -Recurse -Force $dest -ErrorAction SilentlyContinue
    Write-Host "`nImport-Csv samples/calls.csv | Save-DyplsRecording -Destination $dest -Endpoint ... -Credential `$demo"
    $saved = $rows | Save-DyplsRecording -Destination $dest -Endpoint $emulator.BaseUrl -Credential $credential -ErrorAction SilentlyContinue
    $saved | Format-Table | Out-String -Width 200 | Write-Host
    Write-Host "Run it again: every recording is already there, so nothing is fetched."
    $again = $rows | Save-DyplsRecording -Destination $dest -Endpoint $emulator.BaseUrl -Credential $credential -ErrorAction SilentlyContinue
    $again | Group-Object Status -NoElement | Format-Table Name, Count | Out-String | Write-Host
}
finally {
    Stop-DyplsEmulator $emulator
}
