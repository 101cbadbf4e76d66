# Module manifest for Dypls. build.ps1 copies it to out/Dypls/ and stamps ModuleVersion from
# Directory.Build.props (the one place the version lives); the value below is a placeholder.
@{
    RootModule           = 'Dypls.dll'
    ModuleVersion        = '0.0.0'
    GUID                 = '5c1f3f5e-7a8e-4d62-9d54-0b6f0d8a2f41'
    Author               = 'Dypls contributors'
    CompanyName          = 'Dypls'
    Copyright            = '(c) Dypls contributors. MIT License.'
    Description          = 'Fetch call recordings from Alibaba Cloud Phone Number Privacy (号码隐私保护, Dyplsapi): signed download URLs and bulk, resumable downloads, with a local Dyplsapi emulator for offline tests.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    DotNetFrameworkVersion = '4.7.2'
    FormatsToProcess     = @('Dypls.format.ps1xml')
    # Explicit lists: module auto-loading reads them without loading the assembly.
    CmdletsToExport      = @('Complete-DyplsReceipt', 'Get-DyplsRecordUrl', 'Receive-DyplsReceipt', 'Save-DyplsRecording')
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('PSEdition_Desktop', 'PSEdition_Core', 'Alibaba', 'AlibabaCloud', 'Aliyun', 'Dyplsapi', 'PhoneNumberPrivacy', 'Recording', 'Windows', 'Linux', 'MacOS')
            ProjectUri   = 'https://github.com/dypls/dypls'
            LicenseUri   = 'https://github.com/dypls/dypls/blob/main/LICENSE'
            ReleaseNotes = 'Get-DyplsRecordUrl and Save-DyplsRecording, full help (Get-Help about_Dypls), -ProfileName completion, and a local Dyplsapi emulator (.NET tool dypls-emulator). See https://github.com/dypls/dypls/blob/main/CHANGELOG.md.'
        }
    }
}
