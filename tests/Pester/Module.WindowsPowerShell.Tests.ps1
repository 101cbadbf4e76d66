# The Windows PowerShell 5.1 pitfalls, proven on this PowerShell by making the 5.1 situation here: a UTF-8 CSV read in
# a legacy code page (what 5.1's Import-Csv does without -Encoding), a cmdlet runtime whose -Debug means Inquire and a
# lowered confirm preference (what 5.1's -Debug does), and a path too long for the file system.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Emu = Start-DyplsEmulator
    $script:Cred = New-DyplsDemoCredential
    $script:Now = Get-RecentCallTime
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-winps-" + [guid]::NewGuid().ToString('N'))
    $null = New-Item -ItemType Directory $script:Tmp
    # The console's export: Chinese headers, UTF-8 without a byte order mark.
    $script:Csv = Join-Path $script:Tmp 'console-export.csv'
    $text = "呼叫记录ID,呼叫发起时间,号码池Key`n" + ((1..3 | ForEach-Object { "cn-$_,$($script:Now),FC100000012345" }) -join "`n")
    [IO.File]::WriteAllText($script:Csv, $text + "`n", [Text.UTF8Encoding]::new($false))
}

AfterAll {
    Stop-DyplsEmulator $script:Emu
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe 'Import-Csv without -Encoding UTF8 (Windows PowerShell 5.1 reads ANSI)' {
    It 'each row fails with MissingCallId that says to add -Encoding UTF8 (code page <_>)' -ForEach @(1252, 936) {
        $rows = @(Import-Csv $script:Csv -Encoding ([Text.Encoding]::GetEncoding($_)))
        $rows.Count | Should -Be 3
        $rows[0].PSObject.Properties.Name | Should -Not -Contain '呼叫记录ID'
        $out = @($rows | Get-DyplsRecordUrl -Endpoint $script:Emu.BaseUrl -Credential $script:Cred -ErrorAction SilentlyContinue -ErrorVariable errs)
        $out.Count | Should -Be 0
        $errs.Count | Should -Be 3
        foreach ($e in $errs) {
            $e.FullyQualifiedErrorId | Should -BeLike 'MissingCallId,*'
            $e.Exception.Message | Should -BeLike '*-Encoding UTF8*'
            $e.Exception.Message | Should -BeLike '*Windows PowerShell 5.1*'
            [object]::ReferenceEquals($e.TargetObject, ($rows | Where-Object { [object]::ReferenceEquals($_, $e.TargetObject) })) | Should -BeTrue
        }
    }

    It 'read as UTF-8 the same file works, and a row that simply lacks a CallId gets no such hint' {
        $rows = @(Import-Csv $script:Csv -Encoding UTF8)
        $out = @($rows | Get-DyplsRecordUrl -Endpoint $script:Emu.BaseUrl -Credential $script:Cred -ErrorAction SilentlyContinue -ErrorVariable errs)
        $errs.Count | Should -Be 0
        @($out.CallId) | Should -Be @('cn-1', 'cn-2', 'cn-3')

        $null = [pscustomobject]@{ call_id_typo = 'x'; CallTime = $script:Now; PoolKey = 'FC1' } |
            Get-DyplsRecordUrl -Endpoint $script:Emu.BaseUrl -Credential $script:Cred -ErrorAction SilentlyContinue -ErrorVariable plain
        $plain.Count | Should -Be 1
        $plain[0].FullyQualifiedErrorId | Should -BeLike 'MissingCallId,*'
        $plain[0].Exception.Message | Should -Not -BeLike '*-Encoding*'
    }
}

Describe '-Debug never waits on a prompt' {
    It 'a runtime in the 5.1 -Debug state (Inquire, confirm preference Low) writes debug lines and acts without prompting' {
        # An advanced function's runtime is the same MshCommandRuntime a compiled cmdlet gets. In a -NonInteractive
        # pwsh any prompt throws, so the first half proves the 5.1 state really prompts, the second that the guard ends it.
        $r = Invoke-ChildPwsh -Script @'
Import-Module $env:DYPLS_TEST_MODULE
$guard = [Dypls.Commands.GetDyplsRecordUrlCommand].Assembly.GetType('Dypls.Commands.PromptGuard', $true)
$apply = $guard.GetMethod('Apply', [Reflection.BindingFlags]'Static,Public,NonPublic')
$flags = [Reflection.BindingFlags]'Instance,Public,NonPublic'
function Probe {
    [CmdletBinding(SupportsShouldProcess, ConfirmImpact = 'Low')]
    param([switch] $Guarded)
    $rt = $PSCmdlet.CommandRuntime
    $rt.GetType().GetProperty('DebugPreference', $flags).SetValue($rt, [System.Management.Automation.ActionPreference]::Inquire)
    $rt.GetType().GetProperty('Confirm', $flags).SetValue($rt, [System.Management.Automation.SwitchParameter]::new($true))
    if ($Guarded) { $null = $apply.Invoke($null, @($PSCmdlet)) }
    try { $PSCmdlet.WriteDebug('a debug line'); 'debug:written' } catch { 'debug:prompted' }
    try { if ($PSCmdlet.ShouldProcess('row')) { 'row:done' } } catch { 'row:prompted' }
}
Probe -Debug 5>$null
Probe -Debug -Guarded 5>$null
'@
        $lines = @($r.StdOut -split "`r?`n" | Where-Object { $_ })
        $lines | Should -Be @('debug:prompted', 'row:prompted', 'debug:written', 'row:done')
    }

    It 'the cmdlets run with -Debug in a non-interactive pwsh and write their debug lines' {
        $r = Invoke-ChildPwsh -Environment @{ DYPLS_EP = $script:Emu.BaseUrl; DYPLS_NOW = $script:Now } -Script @'
Import-Module $env:DYPLS_TEST_MODULE
$k = 'LTAI5tDyplsDemoKey0001'; $s = ConvertTo-SecureString 'DyplsDemoSecret0000000000000001' -AsPlainText -Force
$u = Get-DyplsRecordUrl -CallId dbg-1 -CallTime $env:DYPLS_NOW -PoolKey FC1 -Endpoint $env:DYPLS_EP -AccessKeyId $k -AccessKeySecret $s -Debug 5>&1
@($u | Where-Object { $_ -is [System.Management.Automation.DebugRecord] }).Count -gt 0
@($u | Where-Object { $_ -isnot [System.Management.Automation.DebugRecord] }).CallId
'@
        $r.StdErr | Should -BeNullOrEmpty
        @($r.StdOut -split "`r?`n" | Where-Object { $_ }) | Should -Be @('True', 'dbg-1')
    }
}

Describe 'Paths too long' {
    It 'a recording path the file system refuses fails its row clearly, leaves no file, and the other rows are saved' {
        # Linux refuses paths of 4096 bytes (as 5.1 refuses 260 characters): a destination of 3950 characters takes the
        # short row, while the long row's hidden partial and lock files (longer than its final name) cross the limit.
        $dest = $script:Tmp
        while ($dest.Length -lt 3750) { $dest = Join-Path $dest ('d' * 200) }
        $dest = Join-Path $dest ('e' * (3949 - $dest.Length))
        $dest.Length | Should -Be 3950
        $rows = @(
            [pscustomobject]@{ CallId = 'short-1'; CallTime = $script:Now; PoolKey = 'FC1' }
            [pscustomobject]@{ CallId = ('L' * 100); CallTime = $script:Now; PoolKey = ('P' * 120) }
            [pscustomobject]@{ CallId = 'short-2'; CallTime = $script:Now; PoolKey = 'FC1' }
        )
        $out = @($rows | Save-DyplsRecording -Destination $dest -FileNameTemplate '{PoolKey}/{CallId}' -Endpoint $script:Emu.BaseUrl -Credential $script:Cred -ErrorAction SilentlyContinue -ErrorVariable errs)
        @($out.CallId) | Should -Be @('short-1', 'short-2')
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'DestinationNotWritable,*'
        $errs[0].Exception.Message | Should -BeLike '*Windows PowerShell 5.1 cannot use paths of 260 characters or more*'
        $errs[0].TargetObject.CallId | Should -Be ('L' * 100)
        @(Get-ChildItem -LiteralPath $dest -Force -Recurse -File | Where-Object Name -like '*LLLL*') | Should -BeNullOrEmpty
    }
}
