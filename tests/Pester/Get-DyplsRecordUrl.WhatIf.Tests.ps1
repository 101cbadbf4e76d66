# Get-DyplsRecordUrl -WhatIf: it says what it would query and sends nothing. Against the built module and the real
# emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-pester-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
    function Reset-Stats { $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset') }
    function Get-Stats { Invoke-RestMethod -Uri ($script:Endpoint + '_emulator/stats') }
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe '-WhatIf' {
    It 'tells what would be queried and sends nothing' {
        Reset-Stats
        # "What if:" goes to the host, so read it from a child pwsh's stdout.
        $r = Invoke-ChildPwsh -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
`$out = 1..5 | ForEach-Object { [pscustomobject]@{ CallId = "whatif-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } } | Get-DyplsRecordUrl -Endpoint $($script:Endpoint) -Credential `$cred -WhatIf
"objects: " + @(`$out).Count
"@
        $r.StdOut | Should -Match 'What if: .*whatif-3'
        $r.StdOut | Should -Match 'objects: 0'
        (Get-Stats).apiRequests | Should -Be 0
    }
}
