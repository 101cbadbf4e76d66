# The packages of build.ps1 -Task Package (out/packages), installed the way users do: the module with
# PSResourceGet into a throwaway HOME, the emulator with `dotnet tool install --tool-path`.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Packages = Join-Path (Get-DyplsRepoRoot) 'out/packages'
    $props = [xml](Get-Content -Raw (Join-Path (Get-DyplsRepoRoot) 'Directory.Build.props'))
    $script:Version = @($props.Project.PropertyGroup.Version | Where-Object { $_ })[0]
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-package-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
    $script:Keys = Get-DyplsDemoKeys
}

AfterAll {
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'out/packages' {
    It 'holds the module and the emulator tool at the version of Directory.Build.props' {
        Join-Path $script:Packages "Dypls.$($script:Version).nupkg" | Should -Exist
        Join-Path $script:Packages "Dypls.Emulator.$($script:Version).nupkg" | Should -Exist
    }
}

Describe 'The module package' {
    BeforeAll { $script:Emu = Start-DyplsEmulator }
    AfterAll { Stop-DyplsEmulator $script:Emu }

    It 'installs with PSResourceGet and runs Get-DyplsRecordUrl in a fresh pwsh' {
        $homeDir = Join-Path $script:Tmp 'home'
        $install = Invoke-ChildPwsh -HomeDirectory $homeDir -Script @"
`$ErrorActionPreference = 'Stop'
[Environment]::CurrentDirectory = `$HOME   # PSResourceGet's NuGet writes NuGet/NuGet.Config below the current directory
Register-PSResourceRepository -Name DyplsTest -Uri '$($script:Packages)' -Trusted
Install-PSResource Dypls -Version '$($script:Version)' -Repository DyplsTest -TrustRepository -Scope CurrentUser
Get-ChildItem -Recurse -Force -Filter Dypls.psd1 -Path `$HOME | Select-Object -First 1 -ExpandProperty FullName
"@
        $install.StdErr | Should -BeNullOrEmpty
        $install.ExitCode | Should -Be 0 -Because $install.StdOut
        $manifest = ($install.StdOut -split "`n" | Where-Object { $_ -like '*Dypls.psd1*' } | Select-Object -First 1).Trim()
        $manifest | Should -BeLike "$homeDir*"
        # The folder that holds Dypls/<version>/: the user's module path inside the temp HOME.
        $modules = Split-Path (Split-Path (Split-Path $manifest))

        $run = Invoke-ChildPwsh -HomeDirectory $homeDir -Environment @{ PSModulePath = $modules + [IO.Path]::PathSeparator + $env:PSModulePath } -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module Dypls
`$m = Get-Module Dypls
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
`$r = Get-DyplsRecordUrl -CallId pkg-1 -CallTime '$(Get-RecentCallTime)' -PoolKey FC1 -Endpoint '$($script:Emu.BaseUrl)' -Credential `$cred
[pscustomobject]@{ Base = `$m.ModuleBase; Version = `$m.Version.ToString(); Url = `$r.Url; Synopsis = (Get-Help Get-DyplsRecordUrl).Synopsis } | ConvertTo-Json
"@
        $run.StdErr | Should -BeNullOrEmpty
        $o = $run.StdOut | ConvertFrom-Json
        $o.Base | Should -BeLike "$modules*"
        $o.Version | Should -Be $script:Version
        $o.Url | Should -Match 'Signature='
        $o.Synopsis | Should -BeLike 'Gets a signed*'
    }
}

Describe 'The emulator tool' {
    It 'installs with dotnet tool install --tool-path, shows its help, and starts' {
        $tools = Join-Path $script:Tmp 'tools'
        $savedCache = $env:NUGET_PACKAGES
        # A private package cache: a rebuilt package of the same version must not come from an old cache entry.
        $env:NUGET_PACKAGES = Join-Path $script:Tmp 'nuget-cache'
        try {
            $log = & dotnet tool install Dypls.Emulator --version $script:Version --tool-path $tools --add-source $script:Packages --ignore-failed-sources 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($log -join "`n")
        }
        finally { $env:NUGET_PACKAGES = $savedCache }
        $exe = Join-Path $tools $(if ($IsWindows) { 'dypls-emulator.exe' } else { 'dypls-emulator' })
        $exe | Should -Exist

        $help = & $exe --help
        ($help -join "`n") | Should -Match 'Usage: dypls-emulator'
        ($help -join "`n") | Should -Match '--port N'

        $psi = [System.Diagnostics.ProcessStartInfo]::new($exe)
        foreach ($a in '--port', '0') { $psi.ArgumentList.Add($a) }
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
        $p = [System.Diagnostics.Process]::Start($psi)
        try {
            $line = $p.StandardOutput.ReadLine()
            $line -match '^Listening on (http://127\.0\.0\.1:\d+/)' | Should -BeTrue -Because "the first line was '$line'"
            $base = $Matches[1]
            $null = $p.StandardOutput.ReadToEndAsync(); $null = $p.StandardError.ReadToEndAsync()
            (Invoke-RestMethod ($base + '_emulator/stats')) | Should -Not -BeNullOrEmpty
        }
        finally {
            if (-not $p.HasExited) { $p.Kill($true); $null = $p.WaitForExit(5000) }
        }
    }
}
