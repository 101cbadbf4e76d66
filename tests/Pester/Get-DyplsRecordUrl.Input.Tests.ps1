# Get-DyplsRecordUrl binds its input: awkward CallIds from a CSV in input order, the receipt's columns, the console's
# Chinese headers, epoch milliseconds, [datetime] and [datetimeoffset] in Beijing time, and a [datetime] of each Kind in
# the machine's own zone. Against the built module (out/Dypls) and the real emulator process.
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

Describe 'Import-Csv | Get-DyplsRecordUrl' {
    It 'returns a working URL for every awkward CallId, in input order' {
        $ids = @('plain-1', 'a b', 'x*y', 't~1', 'p+q', 'dir/sub', 'say "hi"', "it's", '中文呼叫记录', 'a%20b', 'semi;colon')
        $csv = Join-Path $script:Tmp 'awkward.csv'
        $ids | ForEach-Object { [pscustomobject]@{ CallId = $_; CallTime = $script:Now; PoolKey = 'FC100001' } } | Export-Csv $csv -NoTypeInformation -Encoding utf8
        $out = Import-Csv $csv | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred
        $out.Count | Should -Be $ids.Count
        $out.CallId | Should -Be $ids
        foreach ($r in $out) {
            $r | Should -BeOfType Dypls.Models.RecordingUrl
            $r.CallTime | Should -Be $script:Now
            $r.PoolKey | Should -Be 'FC100001'
            $r.RequestId | Should -Not -BeNullOrEmpty
            $r.ExpiresAt | Should -BeOfType [DateTimeOffset]
            $r.ExpiresAt | Should -BeGreaterThan ([DateTimeOffset]::UtcNow.AddMinutes(100))
            $r.Url | Should -Match 'Expires=\d+'
            # The URL really serves this call's recording.
            $got = (Invoke-WebRequest -Uri $r.Url).Content
            $want = (Invoke-WebRequest -Uri ($script:Endpoint + '_emulator/recording?CallId=' + [uri]::EscapeDataString($r.CallId))).Content
            [Convert]::ToBase64String($got) | Should -Be ([Convert]::ToBase64String($want))
        }
    }

    It 'binds the receipt columns, the console''s Chinese headers, and epoch milliseconds' {
        $ms = [DateTimeOffset]::UtcNow.AddHours(-2).ToUnixTimeMilliseconds()
        $expected = [DateTimeOffset]::FromUnixTimeMilliseconds($ms).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
        $receipt = [pscustomobject]@{ call_id = 'receipt-1'; call_time = "$ms"; pool_key = 'FC1'; sub_id = '9' }
        $console = [pscustomobject]@{ '呼叫记录ID' = 'console-1'; '呼叫发起时间' = $script:Now; '号码池Key' = 'FC2' }
        $out = $receipt, $console | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred
        $out[0].CallId | Should -Be 'receipt-1'
        $out[0].CallTime | Should -Be $expected
        $out[1].CallId | Should -Be 'console-1'
        $out[1].PoolKey | Should -Be 'FC2'
    }

    It 'takes a ProductType column in place of PoolKey (older accounts), for both cmdlets, and sends it' {
        $csv = Join-Path $script:Tmp 'product-type.csv'
        @([pscustomobject]@{ CallId = 'pt-1'; CallTime = $script:Now; ProductType = 'AXB_170' }) | Export-Csv $csv -NoTypeInformation
        Reset-Stats
        $url = @(Import-Csv $csv | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0 -Because "$errs"
        $url.Count | Should -Be 1
        $url[0].ProductType | Should -Be 'AXB_170'
        $url[0].PoolKey | Should -BeNullOrEmpty
        $dest = Join-Path $script:Tmp ([guid]::NewGuid().ToString('N'))
        $saved = @(Import-Csv $csv | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{CallId}' -Endpoint $script:Endpoint -Credential $script:Cred)
        $saved[0].Status | Should -Be 'Downloaded'
        $saved[0].Path | Should -BeLike (Join-Path $dest 'AXB_170' 'pt-1.*')
        (Get-Stats).apiSucceeded | Should -Be 2
        # Neither: the row says what is missing.
        $null = [pscustomobject]@{ CallId = 'pt-2'; CallTime = $script:Now } | Get-DyplsRecordUrl -Endpoint $script:Endpoint -Credential $script:Cred -ErrorVariable none -ErrorAction SilentlyContinue
        $none[0].FullyQualifiedErrorId | Should -BeLike 'MissingPoolKey,*'
    }

    It 'converts [datetime] and [datetimeoffset] to Beijing time' {
        $utc = [datetime]::SpecifyKind([datetime]::UtcNow.AddHours(-3), 'Utc')
        $utc = $utc.AddTicks(-($utc.Ticks % [TimeSpan]::TicksPerSecond))
        $expected = $utc.AddHours(8).ToString('yyyy-MM-dd HH:mm:ss')
        (Get-DyplsRecordUrl -CallId dt1 -CallTime $utc -PoolKey FC1 -Endpoint $script:Endpoint -Credential $script:Cred).CallTime | Should -Be $expected
        (Get-DyplsRecordUrl -CallId dt2 -CallTime $utc.ToLocalTime() -PoolKey FC1 -Endpoint $script:Endpoint -Credential $script:Cred).CallTime | Should -Be $expected
        $dto = [DateTimeOffset]::new($utc).ToOffset([TimeSpan]::FromHours(-5))
        (Get-DyplsRecordUrl -CallId dt3 -CallTime $dto -PoolKey FC1 -Endpoint $script:Endpoint -Credential $script:Cred).CallTime | Should -Be $expected
    }

    It 'reads a <Kind> [datetime] in the machine''s own zone (<Zone>)' -ForEach @(
        foreach ($zone in 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham') { foreach ($kind in 'Local', 'Unspecified') { @{ Zone = $zone; Kind = $kind } } }
    ) {
        $r = Invoke-ChildPwsh -Environment @{ TZ = $Zone } -Script @"
Import-Module `$env:DYPLS_TEST_MODULE
`$time = [datetime]::new(2026, 7, 1, 9, 30, 0, [DateTimeKind]::$Kind)
'OFFSET ' + [TimeZoneInfo]::Local.GetUtcOffset(`$time).TotalMinutes
Get-DyplsRecordUrl -CallId tz -CallTime `$time -PoolKey FC1 -WhatIf -Endpoint http://127.0.0.1:9/ -AccessKeyId x -AccessKeySecret (ConvertTo-SecureString y -AsPlainText -Force) 6>&1 | Out-String
"@
        $tz = [TimeZoneInfo]::FindSystemTimeZoneById($Zone)
        $offset = $tz.GetUtcOffset([datetime]::new(2026, 7, 1, 9, 30, 0))
        $r.StdOut | Should -Match "OFFSET $($offset.TotalMinutes)\b" -Because 'the child really runs in that zone'
        $offset | Should -Not -Be ([TimeSpan]::Zero) -Because 'only a zone off UTC tells Local or Unspecified from UTC'
        $utc = [TimeZoneInfo]::ConvertTimeToUtc([datetime]::new(2026, 7, 1, 9, 30, 0), $tz)
        $r.StdOut | Should -Match ([regex]::Escape("at $($utc.AddHours(8).ToString('yyyy-MM-dd HH:mm:ss')) (Beijing)"))
    }
}
