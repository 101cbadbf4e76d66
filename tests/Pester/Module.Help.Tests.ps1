# Help of the built module (out/Dypls/en-US): every cmdlet and parameter described, examples that parse, and
# the examples marked "runnable" in src/Dypls/help/*.md really run against the emulator.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path (Get-DyplsRepoRoot) 'src/Dypls/help/DyplsHelp.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
    $script:Cmdlets = @(Get-Command -Module Dypls -CommandType Cmdlet | ForEach-Object {
            $cmd = $_
            @{
                Name       = $cmd.Name
                Parameters = @(Get-DyplsHelpParameters $cmd | ForEach-Object { @{ Cmdlet = $cmd.Name; Parameter = $_.Name } })
            }
        })
    $script:Runnable = @(foreach ($c in $script:Cmdlets) {
            $doc = Read-DyplsHelpMarkdown (Join-Path (Get-DyplsRepoRoot) "src/Dypls/help/$($c.Name).md")
            foreach ($e in $doc.Examples | Where-Object Runnable) { @{ Cmdlet = $c.Name; Title = $e.Title } }
        })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module (Join-Path (Get-DyplsRepoRoot) 'src/Dypls/help/DyplsHelp.psm1') -Force
    Import-Module (Get-DyplsModulePath) -Force
}

Describe 'Help files' {
    It 'ship as MAML and about_Dypls in out/Dypls/en-US' {
        $dir = Join-Path (Split-Path (Get-DyplsModulePath)) 'en-US'
        Test-Path (Join-Path $dir 'Dypls.dll-Help.xml') | Should -BeTrue
        Test-Path (Join-Path $dir 'about_Dypls.help.txt') | Should -BeTrue
    }
    It 'about_Dypls covers credentials, endpoints, the emulator, time zones, retention and ErrorIds' {
        $text = Get-Help about_Dypls | Out-String
        foreach ($topic in 'CREDENTIALS', 'ENDPOINTS', 'THE EMULATOR', 'TIME ZONES', 'RETENTION AND URL LIFETIME', 'TROUBLESHOOTING',
            'CredentialNotFound', 'ProfileNotFound', 'RecordingNotAvailable', 'ApiError.', 'dypls-emulator',
            'RamRoleArn', 'ChainableRamRoleArn', 'oidc_role_arn', 'ALIBABA_CLOUD_OIDC_TOKEN_FILE', 'ALIBABA_CLOUD_CREDENTIALS_URI', 'External',
            'ALIBABA_CLOUD_STS_ENDPOINT', 'CredentialSourceFailed', 'InteractiveProfileMode') {
            $text | Should -BeLike "*$topic*"
        }
    }
}

Describe '<Name> help' -ForEach $script:Cmdlets {
    BeforeAll { $script:Help = Get-Help $Name -Full }

    It 'has a synopsis and a description' {
        $script:Help.Synopsis | Should -Not -BeNullOrEmpty
        $script:Help.Synopsis | Should -Not -Match ([regex]::Escape($Name) + ' \[-')   # not the generated syntax line
        ($script:Help.Description.Text -join '') | Should -Not -BeNullOrEmpty
    }

    It 'describes -<Parameter>' -ForEach $Parameters {
        $p = Get-Help $Cmdlet -Parameter $Parameter
        ($p.Description.Text -join '').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least 3 examples, and each one parses' {
        $examples = @($script:Help.Examples.Example)
        $examples.Count | Should -BeGreaterOrEqual 3
        foreach ($e in $examples) {
            $tokens = $errors = $null
            $null = [System.Management.Automation.Language.Parser]::ParseInput($e.Code, [ref]$tokens, [ref]$errors)
            $errors | Should -BeNullOrEmpty -Because "$($e.Title) must parse"
        }
    }
}

Describe 'Runnable help examples against the emulator' {
    BeforeAll {
        # Fixed dates in examples stay valid: the emulator keeps every recording.
        # Receipts in the demo queue for the receipt cmdlets' examples.
        $script:Emu = Start-DyplsEmulator -ArgumentList '--retention-days', '100000', '--receipts', '200'
        $keys = Get-DyplsDemoKeys
        $root = Join-Path ([IO.Path]::GetTempPath()) ("dypls-help-" + [guid]::NewGuid().ToString('N'))
        $homeDir = Join-Path $root 'home'; $work = Join-Path $root 'work'
        $null = New-Item -ItemType Directory -Force (Join-Path $homeDir '.aliyun'), $work
        # What the examples expect to find: a CLI profile 'prod', a stored credential, and two CSVs.
        @{ current = 'prod'; profiles = @(@{ name = 'prod'; mode = 'AK'; access_key_id = $keys.AccessKeyId; access_key_secret = $keys.AccessKeySecret }) } |
            ConvertTo-Json -Depth 5 | Set-Content (Join-Path $homeDir '.aliyun/config.json')
        New-DyplsDemoCredential | Export-Clixml (Join-Path $homeDir 'dyplsapi.cred.xml')
        $now = Get-RecentCallTime
        1..3 | ForEach-Object { [pscustomobject]@{ CallId = "help-$_"; CallTime = $now; PoolKey = 'FC100000012345' } } | Export-Csv (Join-Path $work 'calls.csv') -NoTypeInformation
        1..2 | ForEach-Object { [pscustomobject]@{ CallId = "help-id-$_"; CallTime = $now } } | Export-Csv (Join-Path $work 'call-ids.csv') -NoTypeInformation

        $examples = foreach ($c in (Get-Command -Module Dypls -CommandType Cmdlet)) {
            $doc = Read-DyplsHelpMarkdown (Join-Path (Get-DyplsRepoRoot) "src/Dypls/help/$($c.Name).md")
            foreach ($e in $doc.Examples | Where-Object Runnable) { [pscustomobject]@{ Cmdlet = $c.Name; Title = $e.Title; Code = $e.Code } }
        }
        $examplesFile = Join-Path $root 'examples.json'
        @($examples) | ConvertTo-Json -Depth 3 | Set-Content $examplesFile
        $resultsFile = Join-Path $root 'results.json'
        # One fresh pwsh with HOME in the temp folder runs them all, each in its own scope with fresh defaults.
        $script = {
            $ErrorActionPreference = 'Stop'
            Import-Module $env:DYPLS_TEST_MODULE
            Set-Location $env:DYPLS_HELP_WORK
            $demo = Import-Clixml (Join-Path $HOME 'dyplsapi.cred.xml')
            # Stand-ins for the interactive prompt and the Azure Automation asset.
            function Get-Credential { param([string] $Message) $demo }
            function Get-AutomationPSCredential { param([string] $Name) $demo }
            # Every file under HOME (the work folder is inside the temp root, listed too) with its write time.
            function Get-FileState { $state = @{}; foreach ($root in $HOME, $env:DYPLS_HELP_WORK) { Get-ChildItem -LiteralPath $root -File -Recurse -Force -ErrorAction SilentlyContinue | ForEach-Object { $state[$_.FullName] = $_.LastWriteTimeUtc.Ticks } }; $state }
            $n = 0
            $results = foreach ($e in (Get-Content -Raw $env:DYPLS_HELP_EXAMPLES | ConvertFrom-Json)) {
                $PSDefaultParameterValues.Clear()
                $PSDefaultParameterValues['*-Dypls*:Endpoint'] = $env:DYPLS_HELP_ENDPOINT
                $PSDefaultParameterValues['*-Dypls*:QueueEndpoint'] = $env:DYPLS_HELP_ENDPOINT
                $PSDefaultParameterValues['*-Dypls*:Credential'] = $demo
                $ProgressPreference = 'SilentlyContinue'
                $err = $null; $out = @()
                $before = Get-FileState
                # The host's own lines (What if:, Format-Table) land in a transcript; objects and streams in $out.
                $transcript = Join-Path $env:DYPLS_HELP_RESULTS_DIR ("example-{0}.txt" -f (++$n))
                $null = Start-Transcript -LiteralPath $transcript -Force
                try { $out = @(& ([scriptblock]::Create($e.Code)) *>&1) } catch { $err = "$($_.FullyQualifiedErrorId): $_" }
                finally { $null = Stop-Transcript }
                $after = Get-FileState
                $written = @($after.Keys | Where-Object { -not $before.ContainsKey($_) -or $before[$_] -ne $after[$_] } | Where-Object { $_ -ne $transcript } | Sort-Object)
                [pscustomobject]@{
                    Cmdlet = $e.Cmdlet; Title = $e.Title; Error = $err
                    Output = @($out | Where-Object { $_ -isnot [System.Management.Automation.ErrorRecord] -and $null -ne $_ -and "$_" -ne '' } | ForEach-Object { $_.GetType().FullName }).Count
                    StreamErrors = @($out | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] } | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" })
                    Written = $written
                    Host = (Get-Content -Raw -LiteralPath $transcript)
                }
            }
            @($results) | ConvertTo-Json -Depth 4 | Set-Content $env:DYPLS_HELP_RESULTS
        }
        $run = Invoke-ChildPwsh -Script $script.ToString() -HomeDirectory $homeDir -Environment @{
            DYPLS_HELP_WORK = $work; DYPLS_HELP_EXAMPLES = $examplesFile; DYPLS_HELP_RESULTS = $resultsFile; DYPLS_HELP_RESULTS_DIR = $root; DYPLS_HELP_ENDPOINT = $script:Emu.BaseUrl
        }
        $script:ChildRun = $run
        $script:Results = if (Test-Path $resultsFile) { @(Get-Content -Raw $resultsFile | ConvertFrom-Json) } else { @() }
        $script:Root = $root
    }
    AfterAll {
        Stop-DyplsEmulator $script:Emu
        Remove-Item -Recurse -Force $script:Root -ErrorAction SilentlyContinue
    }

    It '<Cmdlet>: <Title>' -ForEach $script:Runnable {
        $r = $script:Results | Where-Object { $_.Cmdlet -eq $Cmdlet -and $_.Title -eq $Title }
        $r | Should -Not -BeNullOrEmpty -Because "the example runner said: $($script:ChildRun.StdErr)"
        $r.Error | Should -BeNullOrEmpty
        @($r.StreamErrors) | Should -BeNullOrEmpty -Because 'a documented example runs without errors'
        $code = (Get-Content -Raw (Join-Path $script:Root 'examples.json') | ConvertFrom-Json | Where-Object { $_.Cmdlet -eq $Cmdlet -and $_.Title -eq $Title }).Code
        $written = @($r.Written)
        # What the example is documented to do: what it prints, the files it writes, or "What if:" and nothing else.
        if ($code -match '-WhatIf') {
            $r.Host | Should -Match 'What if: ' -Because 'a -WhatIf example lists what it would do'
            $written | Should -BeNullOrEmpty -Because '-WhatIf writes nothing'
        }
        else {
            ($r.Output + $written.Count) | Should -BeGreaterThan 0 -Because 'a runnable example must produce output or its documented effect'
        }
        foreach ($m in [regex]::Matches($code, 'Export-Csv\s+(\S+)')) {
            $leaf = Split-Path -Leaf $m.Groups[1].Value
            $file = @($written | Where-Object { (Split-Path -Leaf $_) -eq $leaf })
            $file.Count | Should -Be 1 -Because "the example writes $leaf"
            @(Import-Csv -LiteralPath $file[0]).Count | Should -BeGreaterThan 0 -Because "$leaf holds a row per call"
        }
    }

    It 'saved recordings where the Save-DyplsRecording examples say' {
        Join-Path $script:Root 'home/Recordings/1000000820257625.mp3' | Should -Exist
        Join-Path $script:Root 'work/Recordings/audit.csv' | Should -Exist
        @(Get-ChildItem (Join-Path $script:Root 'home/rec/FC100000012345') -Recurse -Filter *.mp3).Count | Should -Be 3
        @(Get-ChildItem (Join-Path $script:Root 'work/by-pool') -Filter *.mp3).Count | Should -Be 2
    }
}
