# Save-DyplsRecording: what counts as saved (a whole file at its final name; re-runs, -Force, duplicate rows), the file
# names it makes (unsafe CallIds, templates, crafted Url object names) and the destination folder (paths and PSDrives,
# a file in the way, folders that cannot be written, a disk that fills up). Against the built module and a real
# emulator process.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Endpoint = $script:Emu.BaseUrl
    $script:Keys = Get-DyplsDemoKeys
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-destination-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Root
    $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Endpoint
    $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
    $script:OkStatus = @('Downloaded', 'Resumed', 'Skipped')

    function Reset-Emulator { Reset-DyplsEmulatorStats $script:Emu }
    function Get-Stats { Get-DyplsEmulatorStats $script:Emu }
    function Set-EmulatorSetting([hashtable] $Settings) { Set-DyplsEmulatorSetting $script:Emu $Settings }
    function Get-ExpectedMd5([string] $CallId) { Get-DyplsExpectedMd5 $script:Emu $CallId }
    function Get-FileMd5([string] $Path) { Get-DyplsFileMd5 $Path }
    function New-Dest { Join-Path $script:Root ([guid]::NewGuid().ToString('N')) }
    # Rows with the receipt's column names (call_id, call_time, pool_key).
    function New-Rows([string[]] $Ids) { $Ids | ForEach-Object { [pscustomobject]@{ call_id = $_; call_time = $script:Now; pool_key = 'FC100001' } } }
    # Files at final names (not our .dypls-partial working files).
    function Get-FinalFiles([string] $Dir) { @(Get-ChildItem -LiteralPath $Dir -File -Recurse -Force -ErrorAction SilentlyContinue | Where-Object { $_.Name -notlike '.*.dypls-*' }) }
    # Every setting a test here may change, at its default: each test starts from and returns to this.
    $script:Defaults = @{
        recordingSize = 65536; downloadSlowBytesPerSecond = 0; cutDownloads = 0; cutDownloadsAtBytes = 16384; downloadTruncateRate = 0
        downloadEndless403Rate = 0; downloadHeaderStallRate = 0; apiEndlessErrorRate = 0; ramDenyAll = $false; recordingVersion = 0
        metadataUnreachable = $false
    }
    function Restore-EmulatorSettings { Set-EmulatorSetting $script:Defaults }
    $script:KnownExtensions = @('.mp3', '.wav', '.m4a', '.amr', '.ogg', '.aac', '.opus', '.wma', '.flac', '.bin')
}

AfterAll {
    # $PSDefaultParameterValues is global: leave nothing behind for the next test file.
    $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
    $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
}

Describe 'What counts as saved' {
    BeforeAll {
        Reset-Emulator
        $script:BulkDest = New-Dest
        $script:BulkCsv = Join-Path $script:Root 'bulk.csv'
        New-Rows (1..500 | ForEach-Object { 'bulk-{0:D4}' -f $_ }) | Export-Csv $script:BulkCsv -NoTypeInformation
        $script:Bulk = Import-Csv $script:BulkCsv | Save-DyplsRecording -Destination $script:BulkDest
        $script:BulkStats = Get-Stats
    }

    It 'saves 500 rows as 500 files, byte-exact with what the emulator served' {
        $script:Bulk.Count | Should -Be 500
        ($script:Bulk | Where-Object Status -ne 'Downloaded') | Should -BeNullOrEmpty
        $files = Get-FinalFiles $script:BulkDest
        $files.Count | Should -Be 500
        foreach ($r in $script:Bulk) {
            $r.Path | Should -Be (Join-Path $script:BulkDest ($r.CallId + '.mp3'))
            Get-FileMd5 $r.Path | Should -Be (Get-ExpectedMd5 $r.CallId)
            $r.Md5 | Should -Be (Get-FileMd5 $r.Path)
            $r.Length | Should -Be 65536
        }
        Get-ChildItem -LiteralPath $script:BulkDest -Force -Filter '.*.dypls-*' | Should -BeNullOrEmpty
        $script:BulkStats.apiRequests | Should -Be 500
        $script:BulkStats.downloadRequests | Should -Be 500
    }

    It 'keeps input order and exports cleanly as an audit log' {
        $script:Bulk.CallId | Should -Be (Import-Csv $script:BulkCsv).call_id
        $audit = Join-Path $script:Root 'audit.csv'
        $script:Bulk | Export-Csv $audit -NoTypeInformation
        $back = Import-Csv $audit
        $back.Count | Should -Be 500
        $back[0].PSObject.Properties.Name | Should -Contain 'Status'
        $back[0].PSObject.Properties.Name | Should -Contain 'Path'
        $back[0].Status | Should -Be 'Downloaded'
    }

    It 're-running skips every file and makes no API call' {
        Reset-Emulator
        $again = Import-Csv $script:BulkCsv | Save-DyplsRecording -Destination $script:BulkDest
        $again.Count | Should -Be 500
        ($again | Where-Object Status -ne 'Skipped') | Should -BeNullOrEmpty
        $s = Get-Stats
        $s.apiRequests | Should -Be 0
        $s.downloadRequests | Should -Be 0
    }

    It '-Force overwrites' {
        $victim = Join-Path $script:BulkDest 'bulk-0007.mp3'
        [IO.File]::WriteAllText($victim, 'not a recording')
        Reset-Emulator
        $r = Import-Csv $script:BulkCsv | Select-Object -First 10 | Save-DyplsRecording -Destination $script:BulkDest -Force
        ($r | Where-Object Status -ne 'Downloaded') | Should -BeNullOrEmpty
        (Get-Stats).downloadRequests | Should -Be 10
        Get-FileMd5 $victim | Should -Be (Get-ExpectedMd5 'bulk-0007')
    }

    It 'downloads duplicate rows once and reports each row' {
        $dest = New-Dest
        Reset-Emulator
        $r = New-Rows 'dup-1', 'dup-2', 'dup-1', 'dup-1', 'dup-2' | Save-DyplsRecording -Destination $dest
        $r.CallId | Should -Be @('dup-1', 'dup-2', 'dup-1', 'dup-1', 'dup-2')
        $r.Status | Should -Be @('Downloaded', 'Downloaded', 'Skipped', 'Skipped', 'Skipped')
        $s = Get-Stats
        $s.apiRequests | Should -Be 2
        $s.downloadRequests | Should -Be 2
    }
}

Describe 'File names' {
    AfterEach { Restore-EmulatorSettings }

    It 'keeps traversal-shaped and reserved-name CallIds inside the destination' {
        $dest = New-Dest
        $ids = @('../../escape', '..\..\escape2', '/etc/passwd', 'CON', 'nul.txt', 'COM1', 'a:b', 'end. ', '..', 'x*y?z', 'LPT9.mp3', 'a<b>c|d')
        $errs = $null
        $r = New-Rows ($ids + "tab`tin") | Save-DyplsRecording -Destination $dest -ErrorAction SilentlyContinue -ErrorVariable errs
        $r.Count | Should -Be $ids.Count
        # A control character means a broken CSV: a clear error for that row, nothing asked or written.
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidCallId,*'
        $full = (Resolve-Path $dest).Path
        foreach ($x in $r) {
            $x.Path | Should -BeLike "$full$([IO.Path]::DirectorySeparatorChar)*"
            Split-Path $x.Path -Parent | Should -Be $full
            $leaf = Split-Path $x.Path -Leaf
            $leaf | Should -Not -Match '[<>:"|?*\\/]'
            ($leaf -split '\.')[0] | Should -Not -BeIn @('CON', 'NUL', 'COM1', 'LPT9')
            Get-FileMd5 $x.Path | Should -Be (Get-ExpectedMd5 $x.CallId)
        }
        @($r.Path | Sort-Object -Unique).Count | Should -Be $ids.Count
        Get-ChildItem -LiteralPath (Split-Path $full) -File | Where-Object Name -like 'escape*' | Should -BeNullOrEmpty
    }

    It 'builds folders from a file name template' {
        $dest = New-Dest
        $r = New-Rows 'tpl-1' | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{CallDate}/{CallId}'
        $date = $script:Now.Substring(0, 10)
        $r.Path | Should -Be (Join-Path $dest "FC100001/$date/tpl-1.mp3")
        { New-Rows 'tpl-2' | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{Oops}' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFileNameTemplate,*'
        { New-Rows 'tpl-3' | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidFileNameTemplate,*'
    }

    It 'a file in the way of a template folder fails those rows only' {
        $dest = New-Dest
        $null = New-Item -ItemType Directory $dest
        'not a folder' | Set-Content (Join-Path $dest 'BLOCKED')
        $rows = @(
            [pscustomobject]@{ CallId = 'tf-1'; CallTime = $script:Now; PoolKey = 'OPEN' }
            [pscustomobject]@{ CallId = 'tf-2'; CallTime = $script:Now; PoolKey = 'BLOCKED' }
            [pscustomobject]@{ CallId = 'tf-3'; CallTime = $script:Now; PoolKey = 'OPEN' }
        )
        $errs = $null
        $out = $rows | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{CallId}' -ErrorAction SilentlyContinue -ErrorVariable errs
        $out.CallId | Should -Be @('tf-1', 'tf-3')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable,*'
        $errs[0].TargetObject.CallId | Should -Be 'tf-2'
    }

    It 'a Url whose object name is <Name> (<ContentType>) saves as <Expected>, never as the crafted extension' -ForEach @(
        @{ Name = 'recording.ps1'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'setup.exe'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'run.bat'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'noextension'; ContentType = 'audio/mpeg'; Expected = '.mp3' }
        @{ Name = 'payload.exe'; ContentType = 'application/x-msdownload'; Expected = '.bin' }
        @{ Name = 'script.ps1'; ContentType = 'text/plain'; Expected = '.bin' }
    ) {
        $dest = New-Dest
        $id = 'crafted-' + [guid]::NewGuid().ToString('N').Substring(0, 8)
        $expires = [DateTimeOffset]::UtcNow.AddHours(1).ToUnixTimeSeconds()
        $url = $script:Endpoint + "_emulator/object/$Name" + "?CallId=$id&contentType=$([uri]::EscapeDataString($ContentType))&Expires=$expires&OSSAccessKeyId=LTAI5tCrafted&Signature=crafted"
        $row = [pscustomobject]@{ CallId = $id; CallTime = $script:Now; PoolKey = 'FC1'; Url = $url }
        $errs = $null
        $r = $row | Save-DyplsRecording -Destination $dest -ErrorAction SilentlyContinue -ErrorVariable errs
        @($errs) | Should -BeNullOrEmpty
        $r.Status | Should -BeIn $script:OkStatus
        [IO.Path]::GetExtension($r.Path) | Should -BeIn $script:KnownExtensions
        [IO.Path]::GetExtension($r.Path) | Should -Be $Expected
        $files = Get-FinalFiles $dest
        $files.Count | Should -Be 1
        $files[0].Extension | Should -Not -BeIn @('.ps1', '.exe', '.bat', '.cmd')
        $files[0].Extension | Should -BeIn $script:KnownExtensions
        Get-DyplsFileMd5 $files[0].FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu $id)
    }
}

Describe 'The destination folder' {
    It 'resolves ~, relative paths and PSDrives' {
        $dest = New-Dest
        $null = New-Item -ItemType Directory $dest
        $null = New-PSDrive -Name DyplsTest -PSProvider FileSystem -Root $dest -Scope Global
        try {
            $r = New-Rows 'drive-1' | Save-DyplsRecording -Destination 'DyplsTest:\sub'
            $r.Path | Should -Be (Join-Path $dest 'sub/drive-1.mp3')
            Push-Location $dest
            try { $r2 = New-Rows 'rel-1' | Save-DyplsRecording -Destination 'rel' } finally { Pop-Location }
            $r2.Path | Should -Be (Join-Path $dest 'rel/rel-1.mp3')
            Push-Location $dest
            try { $r3 = New-Rows 'cwd-1' | Save-DyplsRecording } finally { Pop-Location }
            $r3.Path | Should -Be (Join-Path $dest 'cwd-1.mp3')
        }
        finally { Remove-PSDrive DyplsTest }
    }

    It 'refuses a file where the destination folder should be' {
        $file = Join-Path $script:Root 'a-file.txt'
        'x' | Set-Content $file
        { New-Rows 'f-1' | Save-DyplsRecording -Destination $file -ErrorAction Stop } | Should -Throw -ErrorId 'DestinationNotAFolder,*'
    }

    It 'a destination that cannot be written gives one clear error (<Name>)' -ForEach @(
        @{ Name = 'a chmod 555 folder, run by an unprivileged user'; Kind = 'User' }
        @{ Name = 'a folder on a read-only mount'; Kind = 'Mount' }
    ) {
        # Root ignores file modes: the folder must really be read-only for whoever runs the cmdlet.
        $problem = $null
        if (-not $IsLinux) { $problem = 'needs Linux (setpriv or runuser, mount)' }
        elseif ((id -u) -ne '0') { $problem = 'needs root to switch user or mount' }
        $readOnly = Join-Path $script:Root ("read-only-" + [guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $readOnly
        $rows = 1..50 | ForEach-Object { [pscustomobject]@{ CallId = "ro-$_"; CallTime = $script:Now; PoolKey = 'FC1' } }
        $mounted = $false
        try {
            if (-not $problem -and $Kind -eq 'Mount') {
                $out = & mount -t tmpfs -o ro,size=1m dypls-read-only $readOnly 2>&1
                if ($LASTEXITCODE -eq 0) { $mounted = $true } else { $problem = "mount -t tmpfs -o ro failed: $out" }
            }
            if (-not $problem -and $Kind -eq 'User') {
                $switch = Get-Command setpriv -ErrorAction SilentlyContinue
                if (-not $switch) { $problem = 'setpriv is not installed' }
            }
            if ($problem) {
                Write-Warning "READ-ONLY DESTINATION ($Name) IS SKIPPED, NOT PASSED: $problem"
                Set-ItResult -Skipped -Because "READ-ONLY DESTINATION NOT TESTED: $problem"
                return
            }
            Reset-Emulator
            if ($Kind -eq 'Mount') {
                $probe = Join-Path $readOnly 'probe'
                { [IO.File]::WriteAllText($probe, 'x') } | Should -Throw -Because 'the test needs a folder even root cannot write'
                $caught = $null
                try { $rows | Save-DyplsRecording -Destination $readOnly -ErrorAction Stop } catch { $caught = $_ }
                $id = $caught.FullyQualifiedErrorId; $message = $caught.Exception.Message; $count = 1
            }
            else {
                chmod 555 $readOnly
                # The unprivileged user needs pwsh and the module: copies in a world-readable folder.
                $shared = Join-Path ([IO.Path]::GetTempPath()) ("dypls-nobody-" + [guid]::NewGuid().ToString('N'))
                $null = New-Item -ItemType Directory $shared
                Copy-Item -Recurse $PSHOME (Join-Path $shared 'pwsh')
                Copy-Item -Recurse (Split-Path (Get-DyplsModulePath)) (Join-Path $shared 'Dypls')
                $homeDir = Join-Path $shared 'home'; $null = New-Item -ItemType Directory $homeDir
                chmod -R a+rX $shared; chown 65534:65534 $homeDir
                try {
                    $script = @"
Import-Module '$shared/Dypls/Dypls.psd1'
`$cred = [pscredential]::new('$($script:Keys.AccessKeyId)', (ConvertTo-SecureString '$($script:Keys.AccessKeySecret)' -AsPlainText -Force))
`$rows = 1..50 | ForEach-Object { [pscustomobject]@{ CallId = "ro-`$_"; CallTime = '$($script:Now)'; PoolKey = 'FC1' } }
try { [IO.File]::WriteAllText('$readOnly/probe', 'x'); 'PROBE WROTE' } catch { 'PROBE REFUSED' }
`$errs = `$null
try { `$rows | Save-DyplsRecording -Destination '$readOnly' -Endpoint '$($script:Endpoint)' -Credential `$cred -ErrorAction SilentlyContinue -ErrorVariable errs; 'NO ERROR' }
catch { 'ID ' + `$_.FullyQualifiedErrorId; 'MESSAGE ' + `$_.Exception.Message }
'COUNT ' + @(`$errs).Count
'USER ' + (id -u)
"@
                    $psi = [System.Diagnostics.ProcessStartInfo]::new('setpriv')
                    foreach ($a in '--reuid=65534', '--regid=65534', '--clear-groups') { $psi.ArgumentList.Add($a) }
                    if ([IO.Path]::GetFileNameWithoutExtension((Get-PwshCommand)[0]) -eq 'dotnet') { $psi.ArgumentList.Add((Get-PwshCommand)[0]); $psi.ArgumentList.Add((Join-Path $shared 'pwsh/pwsh.dll')) }
                    else { $psi.ArgumentList.Add((Join-Path $shared 'pwsh/pwsh')) }
                    foreach ($a in '-NoProfile', '-NonInteractive', '-OutputFormat', 'Text', '-EncodedCommand', [Convert]::ToBase64String([Text.Encoding]::Unicode.GetBytes($script))) { $psi.ArgumentList.Add($a) }
                    $psi.Environment['HOME'] = $homeDir
                    $psi.Environment['DOTNET_CLI_HOME'] = $homeDir
                    # The unprivileged child cannot enter a private working directory (a checkout under `mktemp -d`).
                    $psi.WorkingDirectory = $homeDir
                    $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
                    $p = [System.Diagnostics.Process]::Start($psi)
                    $errTask = $p.StandardError.ReadToEndAsync()
                    $text = $p.StandardOutput.ReadToEnd()
                    $null = $p.WaitForExit(120000)
                }
                finally { Remove-Item -Recurse -Force $shared -ErrorAction SilentlyContinue }
                $text | Should -Match 'USER 65534' -Because "the child must run unprivileged: $text $($errTask.Result)"
                $text | Should -Match 'PROBE REFUSED' -Because 'the folder must really be read-only for that user'
                $id = [regex]::Match($text, 'ID (\S+)').Groups[1].Value
                $message = [regex]::Match($text, '(?s)MESSAGE (.*?)\nCOUNT').Groups[1].Value -replace '\s+', ' '
                $count = [int][regex]::Match($text, 'COUNT (\d+)').Groups[1].Value
            }
            $id | Should -BeLike 'DestinationNotWritable,*'
            $count | Should -Be 1 -Because 'one error for the run, not one per row'
            $message | Should -Match ([regex]::Escape($readOnly))
            $message | Should -Match '-Destination'
            (Get-Stats).apiRequests | Should -Be 0 -Because 'the destination is checked before any API call'
        }
        finally {
            if ($mounted) { & umount $readOnly 2>&1 | Out-Null }
        }
    }
}

Describe 'Disk full' {
    BeforeAll {
        $script:Mount = Join-Path $script:Root 'small-disk'
        $null = New-Item -ItemType Directory $script:Mount
        $script:Mounted = $false
        $script:MountProblem = $null
        if (-not $IsLinux) { $script:MountProblem = 'this test mounts a tmpfs, which needs Linux' }
        elseif ((id -u) -ne '0') { $script:MountProblem = 'this test mounts a tmpfs, which needs root (the tests run as uid ' + (id -u) + ')' }
        else {
            $out = & mount -t tmpfs -o size=1m dypls-disk-full $script:Mount 2>&1
            if ($LASTEXITCODE -eq 0) { $script:Mounted = $true }
            else { $script:MountProblem = "mount -t tmpfs failed here: $out" }
        }
        if (-not $script:Mounted) { Write-Warning "DISK-FULL TESTS ARE SKIPPED, NOT PASSED: $($script:MountProblem)" }
        $script:DiskRows = 1..100 | ForEach-Object { [pscustomobject]@{ CallId = ('full-{0:D3}' -f $_); CallTime = $script:Now; PoolKey = 'FC1' } }
    }
    AfterAll {
        Restore-EmulatorSettings
        if ($script:Mounted) { & umount $script:Mount 2>&1 | Out-Null }
    }

    It 'stops once with DiskFull: one terminating error, few requests, no empty .meta file' {
        if (-not $script:Mounted) { Set-ItResult -Skipped -Because "DISK FULL NOT TESTED: $($script:MountProblem)"; return }
        Reset-Emulator
        $caught = $null; $errs = $null
        try { $script:DiskRows | Save-DyplsRecording -Destination $script:Mount -ThrottleLimit 4 -ErrorAction SilentlyContinue -ErrorVariable errs }
        catch { $caught = $_ }
        $stats = Get-Stats
        $saved = Get-FinalFiles $script:Mount
        $caught | Should -Not -BeNullOrEmpty -Because "disk full must stop the run; it gave $(@($errs).Count) errors such as $(@($errs)[0].FullyQualifiedErrorId)"
        $caught.FullyQualifiedErrorId | Should -BeLike 'DiskFull*'
        @($errs).Count | Should -Be 1 -Because 'one terminating error and no per-row flood'
        $saved.Count | Should -BeGreaterThan 0 -Because '1 MB holds some 64 KB recordings'
        # In flight when the disk fills: at most 4 downloads and, fetched ahead, URLs for as many rows again.
        $stats.apiRequests | Should -BeLessOrEqual ($saved.Count + 2 * 4) -Because 'after the first failure only the requests in flight may follow'
        @(Get-ChildItem -LiteralPath $script:Mount -Force -Filter '*.meta' | Where-Object Length -eq 0) | Should -BeNullOrEmpty
        foreach ($f in $saved) { Get-DyplsFileMd5 $f.FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu ([IO.Path]::GetFileNameWithoutExtension($f.Name))) }
    }

    It 'a rerun once there is space completes: every file exact, zero errors, nothing left behind' {
        if (-not $script:Mounted) { Set-ItResult -Skipped -Because "DISK FULL NOT TESTED: $($script:MountProblem)"; return }
        & mount -o remount,size=64m $script:Mount
        $LASTEXITCODE | Should -Be 0
        Reset-Emulator
        $errs = $null
        $out = $script:DiskRows | Save-DyplsRecording -Destination $script:Mount -ThrottleLimit 4 -ErrorAction SilentlyContinue -ErrorVariable errs
        @($errs) | Should -BeNullOrEmpty
        $out.Count | Should -Be 100
        foreach ($r in $out) { $r.Status | Should -BeIn $script:OkStatus }
        $files = Get-FinalFiles $script:Mount
        $files.Count | Should -Be 100
        foreach ($f in $files) { Get-DyplsFileMd5 $f.FullName | Should -Be (Get-DyplsExpectedMd5 $script:Emu ([IO.Path]::GetFileNameWithoutExtension($f.Name))) }
        Get-DyplsHiddenFiles $script:Mount | Should -BeNullOrEmpty
    }
}
