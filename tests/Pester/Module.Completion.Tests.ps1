# Tab completion (in a fresh pwsh whose HOME holds both profile files), validation messages and
# $PSDefaultParameterValues, against the built module.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:Tmp = Join-Path ([IO.Path]::GetTempPath()) ("dypls-completion-" + [guid]::NewGuid().ToString('N'))
    $script:HomeDir = Join-Path $script:Tmp 'home'
    $null = New-Item -ItemType Directory -Force (Join-Path $script:HomeDir '.aliyun'), (Join-Path $script:HomeDir '.alibabacloud')
    @'
{
  "current": "prod",
  "profiles": [
    { "name": "prod", "mode": "AK", "access_key_id": "LTAIcompletionProdKey", "access_key_secret": "CompletionSecretProd000" },
    { "name": "staging-cn", "mode": "StsToken", "access_key_id": "STS.completion", "access_key_secret": "CompletionSecretSts000", "sts_token": "CompletionToken000" },
    { "name": "odd mode", "mode": "RamRoleArn", "access_key_id": "LTAIodd", "access_key_secret": "CompletionSecretOdd000" }
  ]
}
'@ | Set-Content (Join-Path $script:HomeDir '.aliyun/config.json')
    @'
[default]
type = access_key
access_key_id = LTAIcompletionIniKey
access_key_secret = CompletionSecretIni000

[ci-runner]
type = ecs_ram_role
role_name = CompletionRole

[prod]
type = access_key
access_key_id = LTAIdup
access_key_secret = CompletionSecretDup000
'@ | Set-Content (Join-Path $script:HomeDir '.alibabacloud/credentials')

    # Completion results of one input line, as JSON, from a child pwsh with the temp HOME.
    function Get-ChildCompletion {
        param([string] $Line, [hashtable] $Environment = @{}, [string] $Location = $script:Tmp)
        $script = @"
Import-Module `$env:DYPLS_TEST_MODULE
Set-Location '$Location'
`$line = '$($Line.Replace("'", "''"))'
`$r = TabExpansion2 -inputScript `$line -cursorColumn `$line.Length
@(`$r.CompletionMatches | ForEach-Object { [pscustomobject]@{ Text = `$_.CompletionText; ListItem = `$_.ListItemText; ToolTip = `$_.ToolTip } }) | ConvertTo-Json -Compress
"@
        $run = Invoke-ChildPwsh -Script $script -HomeDirectory $script:HomeDir -Environment $Environment
        $run.StdErr | Should -BeNullOrEmpty
        [pscustomobject]@{ Raw = $run.StdOut; Matches = @(if ($run.StdOut.Trim()) { $run.StdOut | ConvertFrom-Json }) }
    }
}

AfterAll {
    Remove-Item -Recurse -Force $script:Tmp -ErrorAction SilentlyContinue
}

Describe '-ProfileName completion' {
    BeforeAll { $script:All = Get-ChildCompletion 'Get-DyplsRecordUrl -ProfileName ' }

    It 'offers the CLI profiles, then the INI sections, once each, quoted where needed' {
        $r = $script:All
        $r.Matches.Text | Should -Be @('prod', 'staging-cn', "'odd mode'", 'default', 'ci-runner')
        $r.Matches.ListItem | Should -Contain 'odd mode'
    }
    It 'filters by what was typed, case-insensitively, for both cmdlets' {
        (Get-ChildCompletion 'Save-DyplsRecording -ProfileName ST').Matches.Text | Should -Be @('staging-cn')
        (Get-ChildCompletion 'Get-DyplsRecordUrl -ProfileName c').Matches.Text | Should -Be @('ci-runner')
    }
    It 'never shows a key or secret' {
        $script:All.Raw | Should -Not -Match 'LTAI|Secret|Token000|CompletionRole'
    }
    It 'follows ALIBABA_CLOUD_CREDENTIALS_FILE and survives a malformed CLI file' {
        $ini = Join-Path $script:Tmp 'other-credentials.ini'
        "[elsewhere]`ntype = access_key`naccess_key_id = LTAIx`naccess_key_secret = y" | Set-Content $ini
        $cli = Join-Path $script:HomeDir '.aliyun/config.json'
        $saved = Get-Content -Raw $cli
        try {
            '{ "profiles": [ { "name": "broken", ' | Set-Content $cli
            (Get-ChildCompletion 'Get-DyplsRecordUrl -ProfileName ' -Environment @{ ALIBABA_CLOUD_CREDENTIALS_FILE = $ini }).Matches.Text | Should -Be @('elsewhere')
        }
        finally { Set-Content $cli $saved -NoNewline }
    }
}

Describe '-Destination completion' {
    It 'completes folders like any path' {
        $null = New-Item -ItemType Directory -Force (Join-Path $script:Tmp 'recordings-2026')
        $r = Get-ChildCompletion 'Save-DyplsRecording -Destination ./recordings-2'
        ($r.Matches.Text -join ' ') | Should -Match 'recordings-2026'
    }
}

Describe 'Validation messages and $PSDefaultParameterValues' {
    BeforeAll {
        Import-Module (Get-DyplsModulePath) -Force
        $script:Emu = Start-DyplsEmulator
        $script:Cred = New-DyplsDemoCredential
        $script:Now = Get-RecentCallTime
    }
    AfterAll {
        $PSDefaultParameterValues.Remove('Save-DyplsRecording:PoolKey')
        $PSDefaultParameterValues.Remove('*-Dypls*:Credential')
        $PSDefaultParameterValues.Remove('*-Dypls*:Endpoint')
        Stop-DyplsEmulator $script:Emu
    }

    It 'says what a credential without a password is missing' {
        $empty = [pscredential]::new('LTAI5tNoSecret', [securestring]::new())
        { Get-DyplsRecordUrl -CallId v1 -CallTime $script:Now -PoolKey FC1 -Credential $empty -Endpoint $script:Emu.BaseUrl } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,*' -ExpectedMessage '*AccessKeySecret*'
    }

    It 'fills PoolKey from $PSDefaultParameterValues for a CSV without a PoolKey column' {
        $dir = Join-Path $script:Tmp ("pd-" + [guid]::NewGuid().ToString('N'))
        $csv = Join-Path $script:Tmp 'no-pool.csv'
        1..3 | ForEach-Object { [pscustomobject]@{ CallId = "pd-$_"; CallTime = $script:Now } } | Export-Csv $csv -NoTypeInformation
        $PSDefaultParameterValues['Save-DyplsRecording:PoolKey'] = 'FC100000012345'
        $PSDefaultParameterValues['*-Dypls*:Credential'] = $script:Cred
        $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $script:Emu.BaseUrl
        $out = Import-Csv $csv | Save-DyplsRecording -Destination $dir
        $out.Count | Should -Be 3
        $out.PoolKey | Should -Be @('FC100000012345', 'FC100000012345', 'FC100000012345')
        $out.Status | ForEach-Object { "$_" | Should -Be 'Downloaded' }
        @(Get-ChildItem $dir -Filter *.mp3).Count | Should -Be 3
    }
}
