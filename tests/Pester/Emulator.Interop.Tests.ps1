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
    It 'signs AccessKey calls (GET and POST, awkward CallIds) that the emulator accepts' {
        $result = Invoke-PopCore @($script:Keys.AccessKeyId, $script:Keys.AccessKeySecret)
        $result.ExitCode | Should -Be 0 -Because ($result.Lines -join "`n")
        $result.Lines.Count | Should -BeGreaterThan 0
        foreach ($line in $result.Lines) {
            $call = $line | ConvertFrom-Json
            $call.Code | Should -Be 'OK' -Because $line
            $call.hasDownloadUrl | Should -BeTrue -Because $line
        }
        @($result.Lines | ForEach-Object { ($_ | ConvertFrom-Json).method } | Sort-Object -Unique) | Should -Be @('default', 'POST')
    }

    It 'signs STS calls with a SecurityToken that the emulator accepts' {
        $result = Invoke-PopCore @($script:Keys.StsAccessKeyId, $script:Keys.StsSecret, $script:Keys.StsToken)
        $result.ExitCode | Should -Be 0 -Because ($result.Lines -join "`n")
        foreach ($line in $result.Lines) {
            ($line | ConvertFrom-Json).Code | Should -Be 'OK' -Because $line
        }
    }

    It 'is refused with SignatureDoesNotMatch when the secret is wrong' {
        $result = Invoke-PopCore @($script:Keys.AccessKeyId, 'not-the-secret')
        $result.ExitCode | Should -Not -Be 0
        ($result.Lines[0] | ConvertFrom-Json).Code | Should -Be 'SignatureDoesNotMatch'
    }

    It 'counted every call in the emulator stats' {
        $stats = Get-DyplsEmulatorStats -Emulator $script:Emulator
        $stats.apiSucceeded | Should -BeGreaterOrEqual 2
        $stats.signatureFailures | Should -BeGreaterOrEqual 1
    }
}
