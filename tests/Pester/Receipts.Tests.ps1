# From the receipt queue to the recording on disk: Receive-DyplsReceipt | Save-DyplsRecording against the emulator's
# receipt queues (QueryTokenForMnsQueue and the MNS queue API, with real signatures, visibility and redelivery).
# The promise under test: a receipt leaves its queue only once its recording is durable at its final name.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Base = $script:Emu.BaseUrl.TrimEnd('/')
    $script:Cred = New-DyplsDemoCredential
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-receipts-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Emu.BaseUrl
    $PSDefaultParameterValues['*-Dypls*:QueueEndpoint'] = $script:Emu.BaseUrl
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
    $script:Defaults = @{
        recordingSize = 65536; downloadSlowBytesPerSecond = 0; visibilityTimeoutSeconds = 30; tokenLifetimeSeconds = 600
        mns5xxRate = 0; mnsResetRate = 0; mnsSlowRate = 0; mnsSlowMs = 0; mnsDeniedQueue = $null
    }

    function Get-Stats { Get-DyplsEmulatorStats $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting $script:Emu $Settings }
    function New-Dest { $d = Join-Path $script:Root ([guid]::NewGuid().ToString('N')); $null = New-Item -ItemType Directory $d; $d }
    # A queue of its own for each test: Alicom-Queue-<uid>-<MessageType>, with a uid nobody else uses.
    function New-QueueName { 'Alicom-Queue-{0}-SecretRecording' -f (Get-Random -Minimum 1000000000 -Maximum 9999999999) }
    # Fills a queue with receipts for the emulator's recordings; returns what the emulator says it enqueued.
    function Add-Receipts([string] $Queue, [hashtable] $Spec) {
        Invoke-RestMethod -Method Post -Uri "$script:Base/_emulator/queues/$Queue" -ContentType 'application/json' -Body ($Spec | ConvertTo-Json -Compress)
    }
    function Get-Queue([string] $Queue) { Invoke-RestMethod -Uri "$script:Base/_emulator/queues/$Queue" }
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force | Where-Object { $_.Name -notlike '.*' -and $_.Name -notlike '*.jsonl' }) }
    function Assert-AllSaved([string] $Dir, [string[]] $CallIds) {
        $files = Get-FinalFiles $Dir
        @($files | ForEach-Object { $_.BaseName } | Sort-Object -Unique) | Should -Be @($CallIds | Sort-Object -Unique)
        foreach ($f in $files) { Get-DyplsFileMd5 $f.FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu $f.BaseName) -Because $f.Name }
    }
    function Assert-QueueEmpty([string] $Queue) {
        $q = Get-Queue $Queue
        $q.total | Should -Be 0 -Because ($q | ConvertTo-Json -Depth 4 -Compress)
    }
}

AfterAll {
    foreach ($k in '*-Dypls*:Endpoint', '*-Dypls*:QueueEndpoint', '*-Dypls*:Credential') { $PSDefaultParameterValues.Remove($k) }
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'Draining a receipt queue into a folder' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'saves 500 receipts byte-exact, asks with the Beijing CallTime, deletes nothing before its bytes were served, and empties the queue' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 500; callIdPrefix = 'dr' }
        $dest = New-Dest
        $verbose = Join-Path $script:Root ([guid]::NewGuid().ToString('N') + '.txt')
        $saved = @(Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -ErrorVariable errs -ErrorAction SilentlyContinue -Verbose 4> $verbose)
        $errs.Count | Should -Be 0 -Because (($errs | ForEach-Object { "$_" }) -join "`n")
        $saved.Count | Should -Be 500
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
        $s = Get-Stats
        # The run says what it cost in queue requests, as the queue counted it.
        Get-Content -LiteralPath $verbose | Should -Contain ("Receipts: 500 deleted from their queue in {0} request(s); 0 visibility extension(s)." -f $s.mnsDeleteRequests)
        $s.callTimeMismatches | Should -Be 0
        $s.mnsDeletesBeforeServed | Should -Be 0
        $s.mnsDeletes | Should -Be 500
        # One receive and one delete per 16 at steady state: MNS bills per request.
        ($s.mnsRequests / 500) | Should -BeLessOrEqual 0.15
    }

    It 'writes typed receipts that bind into Get-DyplsRecordUrl without Select-Object, and leaves them in the queue when nobody takes them on' {
        $queue = New-QueueName
        $null = Add-Receipts $queue @{ count = 3; callIdPrefix = 'ty' }
        Set-EmulatorSetting @{ visibilityTimeoutSeconds = 2 }
        $receipts = @(Receive-DyplsReceipt -QueueName $queue)
        $receipts.Count | Should -Be 3
        $receipts[0] | Should -BeOfType ([Dypls.Models.Receipt])
        $receipts[0].CallTime | Should -BeOfType ([DateTimeOffset])
        $receipts[0].CallTime.Offset | Should -Be ([TimeSpan]::FromHours(8))
        $receipts[0].MessageType | Should -Be 'SecretRecording'
        $receipts[0].DequeueCount | Should -Be 1
        $receipts[0].Fields['call_id'] | Should -Be $receipts[0].CallId
        $urls = @($receipts | Get-DyplsRecordUrl)
        $urls.Count | Should -Be 3
        (Get-Stats).callTimeMismatches | Should -Be 0
        # Only displayed: nothing was deleted, and they come back.
        Start-Sleep -Seconds 3
        (Get-Queue $queue).total | Should -Be 3
        $again = @(Receive-DyplsReceipt -QueueName $queue)
        $again.Count | Should -Be 3
        # This run saw them come back too (and left them): a later delivery.
        $again[0].DequeueCount | Should -BeGreaterThan 1
    }

    It 'saves a duplicate receipt once and acknowledges both' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 20; duplicates = 10; callIdPrefix = 'du' }
        $dest = New-Dest
        $saved = @(Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0
        $saved.Count | Should -Be 30
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
        (Get-Stats).downloadRequests | Should -Be 20
    }

    It '-First stops after that many receipts; -WhatIf saves nothing and deletes nothing' {
        $queue = New-QueueName
        $null = Add-Receipts $queue @{ count = 40; callIdPrefix = 'wi' }
        $dest = New-Dest
        $null = Receive-DyplsReceipt -QueueName $queue -First 10 | Save-DyplsRecording -Destination $dest -WhatIf
        @(Get-FinalFiles $dest).Count | Should -Be 0
        (Get-Stats).mnsDeletes | Should -Be 0
        (Get-Queue $queue).total | Should -Be 40
        $saved = @(Receive-DyplsReceipt -QueueName $queue -First 10 | Save-DyplsRecording -Destination $dest)
        $saved.Count | Should -Be 10
        (Get-Queue $queue).total | Should -Be 30
    }
}

Describe '-WhatIf and receipts whose recordings need no download' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'under -WhatIf a receipt whose recording is already saved and a poison receipt on its last delivery stay in the queue, and nothing is dead-lettered' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 4; noRecording = 1; callIdPrefix = 'ws' }
        $dest = New-Dest
        # Two of them are saved already (a Skip, which asks the service nothing).
        foreach ($id in @($added.callIds | Where-Object { $_ -notlike 'norecord*' } | Select-Object -First 2)) { Set-Content -LiteralPath (Join-Path $dest "$id.mp3") -Value 'saved' }
        $null = Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -MaxDeliveries 1 -WhatIf -ErrorAction SilentlyContinue
        (Get-Stats).mnsDeletes | Should -Be 0
        (Get-Queue $queue).total | Should -Be 5
        Test-Path (Join-Path $dest 'dypls-dead-letter.jsonl') | Should -BeFalse
    }
}

Describe 'Receipts that cannot be saved' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'a poison receipt (no such recording) goes to the dead-letter file after -MaxDeliveries and leaves the queue; the good ones are saved' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 6; noRecording = 3; callIdPrefix = 'po' }
        Set-EmulatorSetting @{ visibilityTimeoutSeconds = 1 }
        $dest = New-Dest
        $runs = 0
        do {
            $runs++
            $null = Receive-DyplsReceipt -QueueName $queue -WaitSeconds 2 | Save-DyplsRecording -Destination $dest -MaxDeliveries 3 -ErrorAction SilentlyContinue -ErrorVariable +errs
            Start-Sleep -Milliseconds 1200
        } while ((Get-Queue $queue).total -gt 0 -and $runs -lt 8)
        Assert-QueueEmpty $queue
        $runs | Should -BeLessOrEqual 4 -Because 'the third delivery of a poison receipt is its last'
        $good = @($added.callIds | Where-Object { $_ -notlike 'norecord*' })
        Assert-AllSaved $dest $good
        $dead = @(Get-Content (Join-Path $dest 'dypls-dead-letter.jsonl') | ConvertFrom-Json)
        $dead.Count | Should -Be 3
        @($dead | ForEach-Object errorId | Sort-Object -Unique) | Should -Be @('RecordingNotAvailable')
        @($dead | ForEach-Object dequeueCount | Sort-Object -Unique) | Should -Be @(3)
        foreach ($d in $dead) { ($d.body | ConvertFrom-Json).call_id | Should -Be $d.callId }
        @($errs | ForEach-Object FullyQualifiedErrorId | ForEach-Object { $_.Split(',')[0] } | Sort-Object -Unique) | Should -Be @('RecordingNotAvailable')
    }

    It 'an AccessDenied queue stops the run once, with what to do' {
        $queue = New-QueueName
        $null = Add-Receipts $queue @{ count = 5; callIdPrefix = 'ad' }
        Set-EmulatorSetting @{ mnsDeniedQueue = $queue }
        $err = $null
        try { $null = Receive-DyplsReceipt -QueueName $queue -ErrorAction Stop | Save-DyplsRecording -Destination (New-Dest) } catch { $err = $_ }
        $err | Should -Not -BeNullOrEmpty
        $err.FullyQualifiedErrorId | Should -BeLike 'QueueAccessDenied,*'
        "$err" | Should -Match '-MessageType'
        (Get-Stats).mnsRequests | Should -BeLessOrEqual 2
    }

    It 'a denied token call (<Case>) stops the run once with <ErrorId>, before any queue request' -ForEach @(
        @{ Case = 'RAM policy denies QueryTokenForMnsQueue'; Denied = $true; Secret = $null; ErrorId = 'ActionDenied'; Advice = 'dybaseapi:QueryTokenForMnsQueue' }
        @{ Case = 'a wrong AccessKeySecret'; Denied = $false; Secret = 'not-the-secret'; ErrorId = 'AuthenticationFailed'; Advice = 'AccessKeySecret' }
    ) {
        $queue = New-QueueName
        $null = Add-Receipts $queue @{ count = 3; callIdPrefix = 'dn' }
        $cred = if ($Denied) { New-DyplsDemoCredential -Denied } else { New-DyplsDemoCredential -Secret $Secret }
        $err = $null
        try { $null = Receive-DyplsReceipt -QueueName $queue -Credential $cred -ErrorAction Stop | Save-DyplsRecording -Destination (New-Dest) } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike "$ErrorId,*"
        "$err" | Should -Match ([regex]::Escape($Advice))
        (Get-Stats).mnsRequests | Should -Be 0
        (Get-Queue $queue).total | Should -Be 3
    }

    It 'a queue name that does not exist stops the run once (QueueNotFound)' {
        $err = $null
        try { $null = Receive-DyplsReceipt -QueueName 'Alicom-Queue-9999999999-SecretRecording' -ErrorAction Stop } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'QueueNotFound,*'
    }

    It 'MNS 5xx, resets and slow answers are retried: every receipt saved, no error, the queue empty' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 80; callIdPrefix = 'fa' }
        Set-EmulatorSetting @{ mns5xxRate = 0.2; mnsResetRate = 0.1; mnsSlowRate = 0.3; mnsSlowMs = 300 }
        $dest = New-Dest
        $saved = @(Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -ErrorVariable errs -ErrorAction SilentlyContinue)
        Set-EmulatorSetting $script:Defaults
        $errs.Count | Should -Be 0 -Because (($errs | ForEach-Object { "$_" }) -join "`n")
        # A delete whose answer was lost leaves its receipt to come back: a second drain only deletes.
        $null = Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
        ((Get-Stats).faultsInjected) | Should -BeGreaterThan 0
    }
}

Describe 'Time: visibility and tokens' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'a 5 s visibility with downloads slower than that: no receipt comes back while its row is in flight, and no error' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 12; callIdPrefix = 'vi' }
        # 64 KB at 8 KB/s: about 8 s per download.
        Set-EmulatorSetting @{ visibilityTimeoutSeconds = 5; downloadSlowBytesPerSecond = 8192 }
        $dest = New-Dest
        $saved = @(Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -ThrottleLimit 12 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0 -Because (($errs | ForEach-Object { "$_" }) -join "`n")
        $saved.Count | Should -Be 12
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
        $s = Get-Stats
        $s.mnsRedeliveries | Should -Be 0
        $s.mnsChangeVisibility | Should -BeGreaterThan 0
        $s.downloadRequests | Should -Be 12
    }

    It 'a token that lives 10 s over a longer drain is refreshed, with 0 failed rows' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 40; callIdPrefix = 'tk' }
        Set-EmulatorSetting @{ tokenLifetimeSeconds = 10; recordingSize = 16384; downloadSlowBytesPerSecond = 8192 }
        $dest = New-Dest
        $saved = @(Receive-DyplsReceipt -QueueName $queue -Duration '00:00:25' | Save-DyplsRecording -Destination $dest -ThrottleLimit 4 -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0 -Because (($errs | ForEach-Object { "$_" }) -join "`n")
        $saved.Count | Should -Be 40
        Assert-QueueEmpty $queue
        (Get-Stats).mnsTokens | Should -BeGreaterOrEqual 3
    }
}

Describe 'Runs that overlap or die' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'two runbooks drain one queue into one folder at once: 0 errors, each recording downloaded once, the queue empty' {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 200; duplicates = 40; callIdPrefix = 'tw' }
        $dest = New-Dest
        $script = @"
Import-Module '$(Get-DyplsModulePath)'
`$cred = [pscredential]::new('$($script:Cred.UserName)', (ConvertTo-SecureString '$($script:Cred.GetNetworkCredential().Password)' -AsPlainText -Force))
`$out = @(Receive-DyplsReceipt -QueueName '$queue' -Endpoint '$($script:Emu.BaseUrl)' -QueueEndpoint '$($script:Emu.BaseUrl)' -Credential `$cred |
    Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Emu.BaseUrl)' -Credential `$cred -ErrorVariable errs -ErrorAction SilentlyContinue)
"ROWS `$(`$out.Count) ERRORS `$(`$errs.Count)"
`$errs | ForEach-Object { "ERR `$_" }
"@
        $jobs = 1..2 | ForEach-Object { Start-DyplsChildPwsh -Script $script }
        $results = $jobs | ForEach-Object { Wait-DyplsChildPwsh $_ -TimeoutSec 180 }
        foreach ($r in $results) { $r.StdOut | Should -Match 'ERRORS 0' -Because ($r.StdOut + $r.StdErr) }
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
        (Get-Stats).downloadRequests | Should -Be 200
        (Get-Stats).mnsDeletesBeforeServed | Should -Be 0
    }

    It 'a drain killed with SIGKILL: at every moment a receipt is in the queue or its recording is complete; a rerun saves the rest and empties the queue' -Skip:$IsWindows {
        $queue = New-QueueName
        $added = Add-Receipts $queue @{ count = 150; callIdPrefix = 'ki' }
        Set-EmulatorSetting @{ visibilityTimeoutSeconds = 3; recordingSize = 131072; downloadSlowBytesPerSecond = 262144 }
        $dest = New-Dest
        $script = @"
Import-Module '$(Get-DyplsModulePath)'
`$cred = [pscredential]::new('$($script:Cred.UserName)', (ConvertTo-SecureString '$($script:Cred.GetNetworkCredential().Password)' -AsPlainText -Force))
Receive-DyplsReceipt -QueueName '$queue' -Endpoint '$($script:Emu.BaseUrl)' -QueueEndpoint '$($script:Emu.BaseUrl)' -Credential `$cred |
    Save-DyplsRecording -Destination '$dest' -Endpoint '$($script:Emu.BaseUrl)' -Credential `$cred -ThrottleLimit 8 | Out-Null
"@
        $job = Start-DyplsChildPwsh -Script $script
        $violations = [System.Collections.Generic.List[string]]::new()
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        # Watch until a good part is saved, then kill: the queue is read first, then the files, so a receipt missing
        # from the queue was deleted before the files were listed, and its recording must be among them.
        while ([DateTime]::UtcNow -lt $deadline) {
            $inQueue = @((Get-Queue $queue).messages | ForEach-Object callId)
            $onDisk = @(Get-FinalFiles $dest | ForEach-Object BaseName)
            $missing = @($added.callIds | Where-Object { $_ -notin $inQueue -and $_ -notin $onDisk })
            if ($missing) { $violations.Add(($missing -join ',')) }
            if ($onDisk.Count -ge 40) { break }
            Start-Sleep -Milliseconds 100
        }
        $job.Process.Kill($true)
        $null = $job.Process.WaitForExit(10000)
        $violations | Should -BeNullOrEmpty
        Set-EmulatorSetting @{ downloadSlowBytesPerSecond = 0 }
        # The receipts the killed run had out come back once their visibility ends (the queue's 3 s, as extended).
        Start-Sleep -Seconds 5
        $null = Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 0
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
        @(Get-ChildItem -LiteralPath $dest -Force -Filter '.*dypls-partial' ).Count | Should -Be 0
    }
}

Describe 'SecretReport receipts' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'a report saves from its own record_url without an API call, and a report of a call without a recording is acknowledged as NoRecording' {
        $queue = 'Alicom-Queue-{0}-SecretReport' -f (Get-Random -Minimum 1000000000 -Maximum 9999999999)
        $added = Add-Receipts $queue @{ count = 5; callIdPrefix = 'rp'; messageType = 'SecretReport' }
        $time = [DateTimeOffset]::UtcNow.AddHours(-1).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
        $none = '{"pool_key":"FC100000012345","sub_id":7,"call_id":"rp-unrecorded","call_time":"' + $time + '","record_url":"","release_cause":16}'
        $null = Add-Receipts $queue @{ bodies = @($none); messageType = 'SecretReport' }
        $dest = New-Dest
        $saved = @(Receive-DyplsReceipt -QueueName $queue | Save-DyplsRecording -Destination $dest -ErrorVariable errs -ErrorAction SilentlyContinue)
        $errs.Count | Should -Be 0 -Because (($errs | ForEach-Object { "$_" }) -join "`n")
        $saved.Count | Should -Be 6
        @($saved | Where-Object Status -eq 'NoRecording' | ForEach-Object CallId) | Should -Be @('rp-unrecorded')
        @($saved | Where-Object Status -eq 'Downloaded').Count | Should -Be 5
        @($saved | ForEach-Object ApiCalls | Measure-Object -Sum).Sum | Should -Be 0
        (Get-Stats).apiRequests | Should -Be 0
        Assert-AllSaved $dest @($added.callIds)
        Assert-QueueEmpty $queue
    }
}

Describe 'Stopping' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'Ctrl+C (the pipeline stopped) ends a long poll promptly' {
        $queue = New-QueueName
        $null = Add-Receipts $queue @{ count = 0 }
        $ps = [powershell]::Create()
        $null = $ps.AddScript("Import-Module '$(Get-DyplsModulePath)'; Receive-DyplsReceipt -QueueName '$queue' -Duration '00:05:00' -Endpoint '$($script:Emu.BaseUrl)' -QueueEndpoint '$($script:Emu.BaseUrl)' -Credential `$args[0]").AddArgument($script:Cred)
        $async = $ps.BeginInvoke()
        # Wait until the long poll is out.
        $deadline = [DateTime]::UtcNow.AddSeconds(20)
        while ((Get-Stats).mnsReceives -lt 1 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        (Get-Stats).mnsReceives | Should -BeGreaterOrEqual 1
        $sw = [Diagnostics.Stopwatch]::StartNew()
        $stop = $ps.BeginStop($null, $null)
        # A bound, not a timing assertion: without the stop it would poll for five minutes.
        $stop.AsyncWaitHandle.WaitOne([TimeSpan]::FromSeconds(15)) | Should -BeTrue
        $async.IsCompleted | Should -BeTrue
        $ps.Dispose()
    }
}

Describe 'The HTTP push form' {
    BeforeEach { Reset-DyplsEmulatorStats $script:Emu; Set-EmulatorSetting $script:Defaults }

    It 'saves the recordings of a pushed JSON array (call_time in epoch ms, sub_id or subs_id)' {
        $ms = [DateTimeOffset]::UtcNow.AddHours(-1).ToUnixTimeMilliseconds()
        $push = @"
[{"pool_key":"FC100000012345","sub_id":1,"call_id":"push-1","call_time":$ms,"out_id":"o1"},
 {"pool_key":"FC100000012345","subs_id":2,"call_id":"push-2","call_time":"$ms"}]
"@
        $file = Join-Path $script:Root 'push.json'
        Set-Content -LiteralPath $file -Value $push -Encoding utf8
        $dest = New-Dest
        # Parenthesised, the array is enumerated on Windows PowerShell 5.1 too (its ConvertFrom-Json writes an array as one object).
        $saved = @((Get-Content -Raw $file | ConvertFrom-Json) | Save-DyplsRecording -Destination $dest)
        $saved.Count | Should -Be 2
        $beijing = [DateTimeOffset]::FromUnixTimeMilliseconds($ms).ToOffset([TimeSpan]::FromHours(8)).ToString('yyyy-MM-dd HH:mm:ss')
        @($saved | ForEach-Object CallTime | Sort-Object -Unique) | Should -Be @($beijing)
        Assert-AllSaved $dest @('push-1', 'push-2')
    }
}
