# Interop: Alibaba Cloud's official Node.js clients drain a receipt queue of the built emulator: @alicloud/pop-core asks
# Dybaseapi for the queue token, @alicloud/mns 1.2.0 (pinned in tests/interop) receives, changes visibility and
# deletes with it. If the official MNS client and the emulator disagree about signing or the XML, these tests fail.
BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:Keys = Get-DyplsDemoKeys
    $script:InteropDir = Join-Path (Get-DyplsRepoRoot) 'tests/interop'
    $script:Queue = 'Alicom-Queue-1234567890-SecretRecording'

    if (-not (Get-Command node -ErrorAction SilentlyContinue)) { throw 'Node.js is required for the interop tests.' }
    if (-not (Test-Path (Join-Path $script:InteropDir 'node_modules/@alicloud/mns'))) {
        Push-Location $script:InteropDir
        try {
            & npm ci --no-audit --no-fund | Out-Host
            if ($LASTEXITCODE -ne 0) { throw "npm ci failed with exit code $LASTEXITCODE" }
        }
        finally { Pop-Location }
    }

    $script:Emulator = Start-DyplsEmulator -ArgumentList @('--receipts', '6')

    function Invoke-MnsInterop {
        param([string[]] $Arguments)
        Push-Location $script:InteropDir
        try {
            $lines = & node mns-interop.js $script:Emulator.BaseUrl @Arguments 2>&1
            $calls = @($lines | ForEach-Object { "$_" } | Where-Object { $_.StartsWith('{') } | ForEach-Object { $_ | ConvertFrom-Json })
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = @($lines | ForEach-Object { "$_" }); Calls = $calls }
        }
        finally { Pop-Location }
    }

    function Get-QueueState {
        Invoke-RestMethod -Uri ($script:Emulator.BaseUrl.TrimEnd('/') + '/_emulator/queues/' + $script:Queue)
    }
}

AfterAll {
    if ($script:Emulator) { Stop-DyplsEmulator -Emulator $script:Emulator }
}

Describe '@alicloud/mns 1.2.0 against the emulator' {
    BeforeAll {
        Reset-DyplsEmulatorStats $script:Emulator
        $script:Run = Invoke-MnsInterop @($script:Keys.AccessKeyId, $script:Keys.AccessKeySecret, $script:Queue)
        $script:Call = @{}
        foreach ($c in $script:Run.Calls) { $script:Call[$c.call] = $c }
    }

    It 'ran every call and exited 0' {
        $script:Run.ExitCode | Should -Be 0 -Because ($script:Run.Lines -join "`n")
        @($script:Run.Calls | ForEach-Object call) | Should -Be @('QueryTokenForMnsQueue', 'receiveMessage', 'changeMessageVisibility',
            'deleteMessage', 'batchReceiveMessage', 'batchDeleteMessage(partial)', 'batchDeleteMessage', 'receiveMessage(empty)')
        foreach ($c in $script:Run.Calls) { $c.ok | Should -BeTrue -Because ($c | ConvertTo-Json -Compress -Depth 5) }
    }

    It 'got an STS token from QueryTokenForMnsQueue through pop-core' {
        $script:Call['QueryTokenForMnsQueue'].code | Should -Be 'OK'
        $script:Call['QueryTokenForMnsQueue'].accessKeyIdPrefix | Should -Be 'STS.'
        $script:Call['QueryTokenForMnsQueue'].expireTime | Should -Match '^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$'
    }

    It 'received one message, then the other five in a batch' {
        $script:Call['receiveMessage'].code | Should -Be 200
        $script:Call['receiveMessage'].dequeueCount | Should -Be '1'
        $script:Call['receiveMessage'].handleHasPlus | Should -BeTrue -Because 'handles carry + / =, which the client sends unescaped'
        $script:Call['batchReceiveMessage'].code | Should -Be 200
        $script:Call['batchReceiveMessage'].count | Should -Be 5
    }

    It 'changed visibility, then deleted with the new handle' {
        $script:Call['changeMessageVisibility'].code | Should -Be 200
        $script:Call['deleteMessage'].code | Should -Be 204
    }

    It 'got a 404 Errors list of just the stale handle from a partial batch delete, and 204 for the rest' {
        $partial = $script:Call['batchDeleteMessage(partial)']
        $partial.code | Should -Be 404
        @($partial.errors).Count | Should -Be 1
        $partial.errors[0].ErrorCode | Should -Be 'MessageNotExist'
        $script:Call['batchDeleteMessage'].code | Should -Be 204
        $script:Call['receiveMessage(empty)'].error | Should -Be 'MNSMessageNotExistError'
    }

    It 'left the queue empty, and the emulator counted what the client did' {
        $state = Get-QueueState
        $state.total | Should -Be 0
        $state.visible | Should -Be 0
        $state.inFlight | Should -Be 0
        $state.deleted | Should -Be 6
        $stats = Get-DyplsEmulatorStats -Emulator $script:Emulator
        $stats.mnsTokens | Should -Be 1
        $stats.mnsSignatureFailures | Should -Be 0
        $stats.mnsMessagesReceived | Should -Be 6
        $stats.mnsDeletes | Should -Be 6
        $stats.mnsDeleteRequests | Should -Be 3
        $stats.mnsChangeVisibility | Should -Be 1
        $stats.mnsReceives | Should -Be 3
        $stats.unroutedRequests | Should -Be 0
    }

    It 'is refused with SignatureDoesNotMatch at the token call when the secret is wrong' {
        $bad = Invoke-MnsInterop @($script:Keys.AccessKeyId, 'not-the-secret', $script:Queue)
        $bad.ExitCode | Should -Not -Be 0
        @($bad.Calls).Count | Should -Be 1 -Because ($bad.Lines -join "`n")
        $bad.Calls[0].code | Should -Be 'SignatureDoesNotMatch'
    }
}
