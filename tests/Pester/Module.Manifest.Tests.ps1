# The built module (out/Dypls): its manifest (editions, version, exports, gallery metadata), the version stamped from
# Directory.Build.props, the cmdlets' OutputType, and a folder with module files only.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
}

Describe 'The built module' {
    It 'declares editions, version, exports and gallery metadata explicitly' {
        $m = Test-ModuleManifest (Get-DyplsModulePath)
        $m.CompatiblePSEditions | Should -Be @('Desktop', 'Core')
        $m.PowerShellVersion | Should -Be ([version]'5.1')
        @($m.ExportedCmdlets.Keys | Sort-Object) | Should -Be @('Complete-DyplsReceipt', 'Get-DyplsRecordUrl', 'Receive-DyplsReceipt', 'Save-DyplsRecording')
        $data = Import-PowerShellDataFile (Get-DyplsModulePath)
        $data.CmdletsToExport | Should -Be @('Complete-DyplsReceipt', 'Get-DyplsRecordUrl', 'Receive-DyplsReceipt', 'Save-DyplsRecording')
        foreach ($k in 'FunctionsToExport', 'VariablesToExport', 'AliasesToExport') { $data.ContainsKey($k) | Should -BeTrue; @($data[$k]).Count | Should -Be 0 }
        $data.FormatsToProcess | Should -Be @('Dypls.format.ps1xml')
        $m.ProjectUri | Should -Be 'https://github.com/dypls/dypls'
        $m.LicenseUri | Should -Be 'https://github.com/dypls/dypls/blob/main/LICENSE'
        $m.ReleaseNotes | Should -Not -BeNullOrEmpty
        $m.Tags | Should -Contain 'PSEdition_Core'
    }

    It 'has the version from Directory.Build.props stamped in' {
        $props = [xml](Get-Content -Raw (Join-Path (Get-DyplsRepoRoot) 'Directory.Build.props'))
        $version = @($props.Project.PropertyGroup.Version | Where-Object { $_ })[0]
        (Get-Module Dypls).Version.ToString() | Should -Be $version
    }

    It 'exports Get-DyplsRecordUrl with an OutputType' {
        $cmd = Get-Command Get-DyplsRecordUrl -Module Dypls
        $cmd.OutputType.Type.FullName | Should -Contain 'Dypls.Models.RecordingUrl'
    }

    It 'ships no System.Management.Automation.dll and only module files' {
        $dir = Split-Path (Get-DyplsModulePath)
        Test-Path (Join-Path $dir 'System.Management.Automation.dll') | Should -BeFalse
        Get-ChildItem $dir -File | Where-Object Extension -notin '.dll', '.psd1', '.ps1xml', '.xml' | Should -BeNullOrEmpty
    }
}
