# Complete-DyplsReceipt: receipts deleted after a consumer of one's own, live (from Receive-DyplsReceipt in this session)
# and imported (by QueueName and ReceiptHandle with a fresh token); -WhatIf deletes nothing; other objects are refused.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Base = $script:Emu.BaseUrl.TrimEnd('/')
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Emu.BaseUrl
    $PSDefaultParameterValues['*-Dypls*:QueueEndpoint'] = $script:Emu.BaseUrl
    $PSDefaultParameterValues['*-Dypls*:Credential'] = New-DyplsDemoCredential
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ('dypls-complete-' + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
    function New-Queue([int] $Count) {
        $name = 'Alicom-Queue-{0}-SecretReport' -f (Get-Random -Minimum 1000000000 -Maximum 9999999999)
        $null = Invoke-RestMethod -Method Post -Uri "$script:Base/_emulator/queues/$name" -ContentType 'application/json' -Body (@{ count = $Count; messageType = 'SecretReport'; callIdPrefix = 'co' } | ConvertTo-Json -Compress)
        $name
    }
    function Get-QueueTotal([string] $Name) { (Invoke-RestMethod -Uri "$script:Base/_emulator/queues/$Name").total }
}

AfterAll {
    foreach ($k in '*-Dypls*:Endpoint', '*-Dypls*:QueueEndpoint', '*-Dypls*:Credential') { $PSDefaultParameterValues.Remove($k) }
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'Complete-DyplsReceipt' {
    It 'deletes what a consumer of one''s own passes on, in batches, and only that' {
        $queue = New-Queue 40
        $log = Join-Path $script:Tmp 'reports.jsonl'
        $before = (Get-DyplsEmulatorStats $script:Emu).mnsDeleteRequests
        Receive-DyplsReceipt -QueueName $queue |
            ForEach-Object { $_.Body | Add-Content -LiteralPath $log; if ($_.CallId -notlike '*1') { $_ } } |
            Complete-DyplsReceipt
        @(Get-Content -LiteralPath $log).Count | Should -Be 40
        # The receipts filtered out (CallIds ending in 1) stay; the rest are gone.
        Get-QueueTotal $queue | Should -Be 4
        ((Get-DyplsEmulatorStats $script:Emu).mnsDeleteRequests - $before) | Should -BeLessOrEqual 4
    }

    It '-WhatIf deletes nothing' {
        $queue = New-Queue 5
        $null = Receive-DyplsReceipt -QueueName $queue | Complete-DyplsReceipt -WhatIf
        Get-QueueTotal $queue | Should -Be 5
    }

    It 'deletes receipts imported from a file by their handle, while it is valid' {
        $queue = New-Queue 3
        $file = Join-Path $script:Tmp 'receipts.xml'
        Receive-DyplsReceipt -QueueName $queue | Export-Clixml -LiteralPath $file
        $imported = @(Import-Clixml -LiteralPath $file)
        $imported.Count | Should -Be 3
        $imported | Complete-DyplsReceipt -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 0 -Because "$errs"
        Get-QueueTotal $queue | Should -Be 0
    }

    It 'refuses an object that is not a receipt, naming what it needs, and goes on' {
        $queue = New-Queue 1
        $r = @(Receive-DyplsReceipt -QueueName $queue)
        [pscustomobject]@{ CallId = 'x' }, $r[0] | Complete-DyplsReceipt -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'NotAReceipt,*'
        $errs[0].TargetObject.CallId | Should -Be 'x'
        Get-QueueTotal $queue | Should -Be 0
    }
}
