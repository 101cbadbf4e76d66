# Interop: Alibaba Cloud's official Node.js RPC client (@alicloud/pop-core, pinned in tests/interop) calls the
# built emulator. If the official SDK and the emulator disagree about signing, these tests fail.
BeforeAll {
    Import-Module "$PSScriptRoot/TestHelpers.psm1" -Force
    $script:Keys = Get-DyplsDemoKeys
    $script:InteropDir = Join-Path (Get-DyplsRepoRoot) 'tests/interop'

    if (-not (Get-Command node -ErrorAction SilentlyContinue)) { throw 'Node.js is required for the interop tests.' }
    if (-not (Test-Path (Join-Path $script:InteropDir 'node_modules/@alicloud/pop-core'))) {
        Push-Location $script:InteropDir
        try {
            & npm ci --no-audit --no-fund | Out-Host
            if ($LASTEXITCODE -ne 0) { throw "npm ci failed with exit code $LASTEXITCODE" }
        }
        finally { Pop-Location }
    }

    $script:Emulator = Start-DyplsEmulator

    function Invoke-PopCore {
        param([string[]] $Arguments)
        Push-Location $script:InteropDir
        try {
            $lines = & node popcore-interop.js $script:Emulator.BaseUrl @Arguments 2>&1
            [pscustomobject]@{ ExitCode = $LASTEXITCODE; Lines = @($lines | ForEach-Object { "$_" }) }
        }
        finally { Pop-Location }
    }
}

AfterAll {
    if ($script:Emulator) { Stop-DyplsEmulator -Emulator $script:Emulator }
}

Describe 'pop-core 1.8.0 against the emulator' {
    BeforeAll {
        Reset-DyplsEmulatorStats $script:Emulator
        # What the runs sent, from their own output (one line per call): OK calls and calls with an empty value.
        $script:Sent = @{ Ok = 0; Invalid = 0 }
    }

    It 'signs AccessKey calls (GET and POST; CallIds with % & = # ; emoji and non-ASCII; empty values) that the emulator accepts' {
        $result = Invoke-PopCore @($script:Keys.AccessKeyId, $script:Keys.AccessKeySecret)
        $result.ExitCode | Should -Be 0 -Because ($result.Lines -join "`n")
        $calls = @($result.Lines | ForEach-Object { $_ | ConvertFrom-Json })
        $script:Sent.Ok = @($calls | Where-Object expect -eq 'OK').Count
        $script:Sent.Invalid = @($calls | Where-Object expect -eq 'isv.INVALID_PARAMETERS').Count
        $script:Sent.Ok | Should -BeGreaterOrEqual 36
        $script:Sent.Invalid | Should -Be 6 -Because 'empty CallId, PoolKey and CallTime, GET and POST'
        foreach ($call in $calls) {
            $call.Code | Should -Be $call.expect -Because ($call | ConvertTo-Json -Compress)
            if ($call.expect -eq 'OK') { $call.hasDownloadUrl | Should -BeTrue -Because ($call | ConvertTo-Json -Compress) }
        }
        foreach ($id in '100%', 'a&b', 'k=v', 'hash#tag', 'semi;colon', '%20&=#;%', '📞call', '') {
            @($calls | Where-Object { $_.callId -ceq $id }).Count | Should -Be 2 -Because "CallId '$id' is sent with GET and POST"
        }
        @($calls | ForEach-Object method | Sort-Object -Unique) | Should -Be @('default', 'POST')
    }

    It 'signs STS calls with a SecurityToken that the emulator accepts' {
        $result = Invoke-PopCore @($script:Keys.StsAccessKeyId, $script:Keys.StsSecret, $script:Keys.StsToken)
        $result.ExitCode | Should -Be 0 -Because ($result.Lines -join "`n")
        $result.Lines.Count | Should -Be ($script:Sent.Ok + $script:Sent.Invalid)
        foreach ($line in $result.Lines) {
            $call = $line | ConvertFrom-Json
            $call.Code | Should -Be $call.expect -Because $line
        }
    }

    It 'is refused with SignatureDoesNotMatch when the secret is wrong' {
        $result = Invoke-PopCore @($script:Keys.AccessKeyId, 'not-the-secret')
        $result.ExitCode | Should -Not -Be 0
        $result.Lines.Count | Should -Be ($script:Sent.Ok + $script:Sent.Invalid)
        foreach ($line in $result.Lines) { ($line | ConvertFrom-Json).Code | Should -Be 'SignatureDoesNotMatch' -Because $line }
    }

    It 'counted every call in the emulator stats: exactly what the three runs sent' {
        $stats = Get-DyplsEmulatorStats -Emulator $script:Emulator
        $all = $script:Sent.Ok + $script:Sent.Invalid
        $stats.apiSucceeded | Should -Be (2 * $script:Sent.Ok) -Because 'every OK call of the AccessKey run and of the STS run'
        $stats.signatureFailures | Should -Be $all -Because 'every call of the wrong-secret run, and no other'
        $stats.apiRequests | Should -Be (3 * $all)
    }
}
