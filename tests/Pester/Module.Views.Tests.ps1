# The table views of Dypls.format.ps1xml: URL signature hidden in text only, and output that comes back whole through Export-Csv and Import-Csv.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-views-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'RecordingUrl view' {
    It 'hides the Signature in the default table text, while the Url property keeps it' {
        $r = Get-DyplsRecordUrl -CallId 1000000820257625 -CallTime $script:Now -PoolKey FC100000012345 -Endpoint $script:Emu.BaseUrl -Credential $script:Cred
        $r.Url -match 'Signature=([^&]+)' | Should -BeTrue
        $signature = $Matches[1]
        foreach ($text in ($r | Out-String -Width 400), ($r | Format-Table | Out-String -Width 400)) {
            $text | Should -Not -BeLike "*$signature*"
            $text | Should -Not -Match 'Signature=(?!\*\*\*)'
            $text | Should -Match 'Signature=\*\*\*'
            # Typical values fit their columns whole.
            $text | Should -BeLike '*1000000820257625*'
            $text | Should -BeLike '*FC100000012345*'
            $text | Should -BeLike "*$($script:Now)*"
        }
    }
}

Describe 'SavedRecording view' {
    It 'shows CallId, Status, Length and Path, and comes back whole through Export-Csv / Import-Csv' {
        $rows = 1..3 | ForEach-Object { [pscustomobject]@{ CallId = "view-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
        $dest = Join-Path $script:Tmp 'rec'
        $saved = @($rows | Save-DyplsRecording -Destination $dest -Endpoint $script:Emu.BaseUrl -Credential $script:Cred)
        $saved += $rows[0] | Save-DyplsRecording -Destination $dest -Endpoint $script:Emu.BaseUrl -Credential $script:Cred   # Skipped
        $table = $saved | Out-String -Width 400
        foreach ($s in $saved) { $table | Should -BeLike "*$($s.CallId)*$($s.Status)*$($s.Length)*$($s.Path)*" }

        $csv = Join-Path $script:Tmp 'audit.csv'
        $saved | Export-Csv $csv -NoTypeInformation
        $back = @(Import-Csv $csv)
        $back.Count | Should -Be $saved.Count
        for ($i = 0; $i -lt $saved.Count; $i++) {
            $back[$i].Status | Should -Be ([string]$saved[$i].Status)
            $back[$i].Path | Should -Be $saved[$i].Path
            [long]$back[$i].Length | Should -Be $saved[$i].Length
        }
        $back.Status | Should -Contain 'Skipped'
        $back.Status | Should -Contain 'Downloaded'
    }
}
