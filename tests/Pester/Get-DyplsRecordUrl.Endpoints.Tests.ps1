# Get-DyplsRecordUrl and the API endpoint: plain http only to loopback, and a service that misbehaves (a QPS limit,
# a clock that is off, calls that stall). Against the built module and the real emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator -ArgumentList '--fault-seed', '20261125'
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-pester-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
    function Reset-Stats { $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset') }
    function Get-Stats { Invoke-RestMethod -Uri ($script:Endpoint + '_emulator/stats') }
    function Set-EmulatorSetting([hashtable] $Settings) {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/settings') -ContentType 'application/json' -Body ($Settings | ConvertTo-Json)
    }
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'Endpoints' {
    It 'refuses plain http to a host that is not loopback' {
        { Get-DyplsRecordUrl -CallId e1 -CallTime $script:Now -PoolKey FC1 -Endpoint 'http://dyplsapi.aliyuncs.com/' -Credential $script:Cred -ErrorAction Stop } |
            Should -Throw -ErrorId 'InsecureEndpoint,*'
    }
}

Describe 'A service that throttles, stalls or disagrees about the time' {
    It 'paces itself under the service''s QPS limit and loses no row' {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{ qps = 10 }
        try {
            $rows = 1..80 | ForEach-Object { [pscustomobject]@{ CallId = "qps-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
            $all = $rows | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ThrottleLimit 16 -ErrorAction Continue 2>&1
        }
        finally { Set-EmulatorSetting @{ qps = 0 } }
        @($all | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }) | Should -BeNullOrEmpty
        @($all | Where-Object { $_ -is [Dypls.Models.RecordingUrl] }).Count | Should -Be 80
        (Get-Stats).throttled | Should -BeGreaterThan 0
    }

    It 'clock skew gives one error that says the local clock is off' {
        Set-EmulatorSetting @{ clockSkewSeconds = 1200 }
        try {
            $caught = $null
            try { [pscustomobject]@{ CallId = 'skew-1'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ErrorAction Stop }
            catch { $caught = $_ }
        }
        finally { Set-EmulatorSetting @{ clockSkewSeconds = 0 } }
        $caught.FullyQualifiedErrorId | Should -BeLike 'ClockSkew,*'
        $caught.Exception.Message | Should -Match 'local clock is 20 minutes behind'
    }

    It 'an API that stalls is cut off by -TimeoutSec and retried' {
        $null = Invoke-RestMethod -Method Post -Uri ($script:Endpoint + '_emulator/reset')
        Set-EmulatorSetting @{ apiStallRate = 1 }
        try {
            $caught = $null
            try { [pscustomobject]@{ CallId = 'stall-1'; CallTime = $script:Now; PoolKey = 'FC1' } | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -TimeoutSec 1 -MaxAttempts 2 -ErrorAction Stop }
            catch { $caught = $_ }
        }
        finally { Set-EmulatorSetting @{ apiStallRate = 0 } }
        $caught.FullyQualifiedErrorId | Should -BeLike 'RequestTimeout,*'
        $caught.Exception.Message | Should -Match 'Gave up after 2 attempts'
        (Get-Stats).faultApiStall | Should -Be 2
    }
}
