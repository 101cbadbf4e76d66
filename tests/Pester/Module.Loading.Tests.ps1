# Loading on every supported PowerShell. PowerShell 7.2 and 7.3 ship System.Text.Json 6.0 and 7.0, older than the 8.0
# the module is built against. No such PowerShell is here, so the test makes the same situation on this one: a copy of
# the module whose Dypls.Core.dll asks for System.Text.Json 99.0.0.0, newer than this runtime's. Importing it must fail
# at once with one clear message, not "work" and then fail the first row with a loader exception.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-loading-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp

    function Set-AssemblyReferenceVersion {
        # Rewrites the version of one AssemblyRef row in place (the first 8 bytes of the row: major, minor, build, revision).
        param([string] $Path, [string] $Reference, [version] $Version)
        $bytes = [IO.File]::ReadAllBytes($Path)
        $stream = [IO.MemoryStream]::new($bytes, $false)
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        try {
            $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            $table = [System.Reflection.Metadata.Ecma335.TableIndex]::AssemblyRef
            $rowSize = [System.Reflection.Metadata.Ecma335.MetadataReaderExtensions]::GetTableRowSize($md, $table)
            $tableOffset = [System.Reflection.Metadata.Ecma335.MetadataReaderExtensions]::GetTableMetadataOffset($md, $table)
            $start = $pe.PEHeaders.MetadataStartOffset
            $found = $false
            foreach ($h in $md.AssemblyReferences) {
                $ref = $md.GetAssemblyReference($h)
                if ($md.GetString($ref.Name) -ne $Reference) { continue }
                $row = [System.Reflection.Metadata.Ecma335.MetadataTokens]::GetRowNumber([System.Reflection.Metadata.AssemblyReferenceHandle]$h)
                $at = $start + $tableOffset + ($row - 1) * $rowSize
                $parts = @($Version.Major, $Version.Minor, [math]::Max($Version.Build, 0), [math]::Max($Version.Revision, 0))
                for ($i = 0; $i -lt 4; $i++) { [BitConverter]::GetBytes([uint16]$parts[$i]).CopyTo($bytes, $at + 2 * $i) }
                $found = $true
            }
            if (-not $found) { throw "$Path has no reference to $Reference" }
        }
        finally { $pe.Dispose() }
        [IO.File]::WriteAllBytes($Path, $bytes)
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'Loading on every supported PowerShell' {
    It 'imports here and loads every dependency of the core' {
        $r = Invoke-ChildPwsh -Script @'
$ErrorActionPreference = 'Stop'
Import-Module $env:DYPLS_TEST_MODULE
(Get-Command -Module Dypls).Count
'@
        $r.StdErr | Should -BeNullOrEmpty
        $r.ExitCode | Should -Be 0
        $r.StdOut.Trim() | Should -Be '4'
    }

    It 'refuses to import where the runtime''s System.Text.Json is older than the one referenced, with one clear message' {
        $copy = Join-Path $script:Tmp 'Dypls'
        Copy-Item -Recurse (Split-Path (Get-DyplsModulePath)) $copy
        Set-AssemblyReferenceVersion -Path (Join-Path $copy 'Dypls.Core.dll') -Reference 'System.Text.Json' -Version '99.0.0.0'

        $r = Invoke-ChildPwsh -Environment @{ DYPLS_PATCHED = (Join-Path $copy 'Dypls.psd1') } -Script @'
try {
    Import-Module $env:DYPLS_PATCHED -ErrorAction Stop
    'IMPORTED'
}
catch {
    'FAILED: ' + $_.Exception.Message
    'TYPE: ' + $_.Exception.GetType().FullName
}
'COMMANDS: ' + @(Get-Command -Module Dypls -ErrorAction SilentlyContinue).Count
'@
        $r.StdOut | Should -Not -Match 'IMPORTED'
        $r.StdOut | Should -Match 'FAILED: Dypls needs PowerShell 7\.4 or later, or Windows PowerShell 5\.1\.'
        $r.StdOut | Should -Match 'System\.Text\.Json 99\.0\.0\.0'
        $r.StdOut | Should -Match 'COMMANDS: 0'
        $r.StdOut | Should -Not -Match 'TYPE: System\.IO\.FileLoadException'
    }
}
