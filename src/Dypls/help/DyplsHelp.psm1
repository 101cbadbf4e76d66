# Turns the help sources in src/Dypls/help (markdown, one file per cmdlet plus about_Dypls.md) into the
# MAML and about_ text that Get-Help reads. platyPS is not available offline, so this is a small,
# deliberately strict converter for the fixed format described in src/Dypls/help/README.md.
Set-StrictMode -Version Latest

function Split-MarkdownSections {
    <# Splits markdown lines at headings of the given level, ignoring '#' inside code fences. #>
    param([string[]] $Lines, [int] $Level)
    $prefix = ('#' * $Level) + ' '
    $sections = [Collections.Generic.List[object]]::new()
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($prefix)) {
            $current = [pscustomobject]@{ Title = $line.Substring($prefix.Length).Trim(); Lines = [Collections.Generic.List[string]]::new() }
            $sections.Add($current)
            continue
        }
        if ($current) { $current.Lines.Add($line) }
    }
    , $sections
}

function ConvertTo-Paragraphs {
    <# Markdown body text -> paragraphs; list items stay one per line, other lines are joined. #>
    param([string[]] $Lines)
    $paras = [Collections.Generic.List[string]]::new()
    $buf = [Collections.Generic.List[string]]::new()
    $flush = { if ($buf.Count) { $paras.Add(($buf -join "`n")); $buf.Clear() } }
    foreach ($line in $Lines) {
        if ($line -match '^\s*<!--' -or $line -match '^```') { continue }
        if ($line.Trim() -eq '') { & $flush; continue }
        if ($line -match '^\s*(-|\d+\.)\s' -or $buf.Count -eq 0) { $buf.Add($line.TrimEnd()) }
        elseif ($line -match '^\s{2,}\S' -and $buf[$buf.Count - 1] -match '^\s*(-|\d+\.)\s') { $buf[$buf.Count - 1] += ' ' + $line.Trim() }
        else { $buf[$buf.Count - 1] += ' ' + $line.Trim() }
    }
    & $flush
    $paras   # unrolled: callers collect with @()
}

function Read-DyplsHelpMarkdown {
    <#
    .SYNOPSIS
        Reads one cmdlet help source: Name, Synopsis, Description, Examples (Title, Code, Runnable, Remarks),
        Parameters (name -> paragraphs), Inputs, Outputs, Notes, Links.
    #>
    param([Parameter(Mandatory)][string] $Path, [switch] $ParametersOnly)
    $lines = [IO.File]::ReadAllLines($Path)
    $top = Split-MarkdownSections $lines 1
    if ($top.Count -ne 1) { throw "${Path}: expected exactly one '# <Cmdlet-Name>' heading" }
    $doc = [ordered]@{ Name = $top[0].Title; Synopsis = @(); Description = @(); Examples = @(); Parameters = [ordered]@{}; Inputs = @(); Outputs = @(); Notes = @(); Links = @(); Path = $Path }
    foreach ($s in (Split-MarkdownSections $top[0].Lines 2)) {
        switch ($s.Title) {
            'SYNOPSIS' { $doc.Synopsis = @(ConvertTo-Paragraphs $s.Lines) }
            'DESCRIPTION' { $doc.Description = @(ConvertTo-Paragraphs $s.Lines) }
            'NOTES' { $doc.Notes = @(ConvertTo-Paragraphs $s.Lines) }
            'RELATED LINKS' { $doc.Links = @($s.Lines | Where-Object { $_ -match '^-\s' } | ForEach-Object { $_.Substring(2).Trim() }) }
            'PARAMETERS' {
                foreach ($p in (Split-MarkdownSections $s.Lines 3)) {
                    if ($p.Title -notmatch '^-(\w+)$') { throw "${Path}: parameter heading '### $($p.Title)' must be '### -Name'" }
                    $doc.Parameters[$Matches[1]] = @(ConvertTo-Paragraphs $p.Lines)
                }
            }
            { $_ -in 'INPUTS', 'OUTPUTS' } {
                $items = foreach ($t in (Split-MarkdownSections $s.Lines 3)) { [pscustomobject]@{ Type = $t.Title; Text = @(ConvertTo-Paragraphs $t.Lines) } }
                if ($s.Title -eq 'INPUTS') { $doc.Inputs = @($items) } else { $doc.Outputs = @($items) }
            }
            'EXAMPLES' {
                $doc.Examples = @(foreach ($e in (Split-MarkdownSections $s.Lines 3)) {
                        $code = [Collections.Generic.List[string]]::new(); $rest = [Collections.Generic.List[string]]::new()
                        $state = 'before'; $runnable = $false
                        foreach ($l in $e.Lines) {
                            if ($state -eq 'before' -and $l -match '^```powershell(\s+runnable)?\s*$') { $state = 'code'; $runnable = [bool]$Matches[1]; continue }
                            if ($state -eq 'code' -and $l -match '^```\s*$') { $state = 'after'; continue }
                            if ($state -eq 'code') { $code.Add($l) } elseif ($state -eq 'after') { $rest.Add($l) }
                        }
                        if ($state -ne 'after') { throw "${Path}: example '$($e.Title)' needs one fenced block: '``````powershell' (or '``````powershell runnable') ... '``````'" }
                        [pscustomobject]@{ Title = $e.Title; Code = ($code -join "`n"); Runnable = $runnable; Remarks = @(ConvertTo-Paragraphs $rest) }
                    })
            }
            default { throw "${Path}: unknown section '## $($s.Title)'" }
        }
    }
    if ($ParametersOnly) { return [pscustomobject]$doc }
    if (-not $doc.Synopsis) { throw "${Path}: no SYNOPSIS" }
    if (-not $doc.Description) { throw "${Path}: no DESCRIPTION" }
    [pscustomobject]$doc
}

function Get-DyplsHelpParameters {
    <# The parameters help documents: everything but the common parameters and DontShow ones (WhatIf/Confirm stay). #>
    param([Parameter(Mandatory)][System.Management.Automation.CommandInfo] $Command)
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters
    foreach ($p in $Command.Parameters.Values) {
        if ($p.Name -in $common -or $p.Name -eq 'UseTransaction') { continue }
        if (@($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.DontShow }).Count) { continue }
        $p
    }
}

function ConvertTo-DyplsMaml {
    <#
    .SYNOPSIS
        Writes <Module>.dll-Help.xml for the given commands from their markdown sources. Parameter types,
        positions, pipeline input, aliases and defaults come from the loaded cmdlets themselves; descriptions
        from the cmdlet's file, else from Common.Parameters.md. A parameter without a description fails the build.
    #>
    param(
        [Parameter(Mandatory)][string] $SourceDirectory,
        [Parameter(Mandatory)][System.Management.Automation.CmdletInfo[]] $Command,
        [Parameter(Mandatory)][string] $OutFile
    )
    $shared = Read-DyplsHelpMarkdown (Join-Path $SourceDirectory 'Common.Parameters.md') -ParametersOnly
    $ns = @{ maml = 'http://schemas.microsoft.com/maml/2004/10'; command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; dev = 'http://schemas.microsoft.com/maml/dev/2004/10' }
    $settings = [Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.Encoding = [Text.UTF8Encoding]::new($false)
    $null = New-Item -ItemType Directory -Force (Split-Path $OutFile)
    $w = [Xml.XmlWriter]::Create($OutFile, $settings)
    try {
        $w.WriteStartDocument()
        $w.WriteStartElement('helpItems', 'http://msh'); $w.WriteAttributeString('schema', 'maml')
        foreach ($cmd in $Command) {
            $doc = Read-DyplsHelpMarkdown (Join-Path $SourceDirectory "$($cmd.Name).md")
            if ($doc.Name -ne $cmd.Name) { throw "$($doc.Path): heading '# $($doc.Name)' does not match the cmdlet $($cmd.Name)" }
            if (@($doc.Examples).Count -lt 3) { throw "$($doc.Path): $($cmd.Name) needs at least 3 examples" }
            $defaults = [Activator]::CreateInstance($cmd.ImplementingType)
            $params = @(Get-DyplsHelpParameters $cmd)
            $text = @{}
            foreach ($p in $params) {
                $t = if ($doc.Parameters.Contains($p.Name)) { $doc.Parameters[$p.Name] } elseif ($shared.Parameters.Contains($p.Name)) { $shared.Parameters[$p.Name] } else { $null }
                if (-not $t) { throw "$($cmd.Name) -$($p.Name) has no description in $($doc.Path) or Common.Parameters.md" }
                $text[$p.Name] = $t
            }
            foreach ($name in $doc.Parameters.Keys) { if ($name -notin $params.Name) { throw "$($doc.Path) describes -$name, which $($cmd.Name) does not have" } }

            $w.WriteStartElement('command', 'command', $ns.command)
            $w.WriteAttributeString('xmlns', 'maml', $null, $ns.maml)
            $w.WriteAttributeString('xmlns', 'dev', $null, $ns.dev)
            $w.WriteStartElement('command', 'details', $ns.command)
            $w.WriteElementString('command', 'name', $ns.command, $cmd.Name)
            Write-Paras $w 'description' $doc.Synopsis
            $w.WriteElementString('command', 'verb', $ns.command, $cmd.Verb)
            $w.WriteElementString('command', 'noun', $ns.command, $cmd.Noun)
            $w.WriteEndElement()
            Write-Paras $w 'description' $doc.Description

            $w.WriteStartElement('command', 'syntax', $ns.command)
            foreach ($set in $cmd.ParameterSets) {
                $w.WriteStartElement('command', 'syntaxItem', $ns.command)
                $w.WriteElementString('maml', 'name', $ns.maml, $cmd.Name)
                # Positional parameters in position order, then mandatory ones, then the rest by name.
                $inSet = $set.Parameters | Sort-Object { if ($_.Position -ge 0) { $_.Position } else { 1000 } }, { -not $_.IsMandatory }, Name
                foreach ($sp in $inSet) {
                    $p = $params | Where-Object Name -eq $sp.Name
                    if ($p) { Write-Parameter $w $p $sp $text[$p.Name] $defaults }
                }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'parameters', $ns.command)
            foreach ($p in ($params | Sort-Object Name)) {
                $sp = $cmd.ParameterSets[0].Parameters | Where-Object Name -eq $p.Name
                Write-Parameter $w $p $sp $text[$p.Name] $defaults
            }
            $w.WriteEndElement()

            foreach ($kind in 'input', 'return') {
                $items = if ($kind -eq 'input') { $doc.Inputs } else { $doc.Outputs }
                $w.WriteStartElement('command', $(if ($kind -eq 'input') { 'inputTypes' } else { 'returnValues' }), $ns.command)
                foreach ($i in $items) {
                    $w.WriteStartElement('command', $(if ($kind -eq 'input') { 'inputType' } else { 'returnValue' }), $ns.command)
                    $w.WriteStartElement('dev', 'type', $ns.dev); $w.WriteElementString('maml', 'name', $ns.maml, $i.Type); $w.WriteEndElement()
                    Write-Paras $w 'description' $i.Text
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }

            $w.WriteStartElement('maml', 'alertSet', $ns.maml)
            $w.WriteStartElement('maml', 'alert', $ns.maml)
            foreach ($para in $doc.Notes) { $w.WriteElementString('maml', 'para', $ns.maml, $para) }
            $w.WriteEndElement(); $w.WriteEndElement()

            $w.WriteStartElement('command', 'examples', $ns.command)
            $n = 0
            foreach ($e in $doc.Examples) {
                $n++
                $w.WriteStartElement('command', 'example', $ns.command)
                $w.WriteElementString('maml', 'title', $ns.maml, "-------------------------- $($e.Title) --------------------------")
                $w.WriteElementString('dev', 'code', $ns.dev, $e.Code)
                $w.WriteStartElement('dev', 'remarks', $ns.dev)
                foreach ($para in $e.Remarks) { $w.WriteElementString('maml', 'para', $ns.maml, $para) }
                $w.WriteElementString('maml', 'para', $ns.maml, '')   # a blank line before the next example
                $w.WriteEndElement()
                $w.WriteEndElement()
            }
            $w.WriteEndElement()

            $w.WriteStartElement('command', 'relatedLinks', $ns.command)
            foreach ($l in $doc.Links) {
                $w.WriteStartElement('maml', 'navigationLink', $ns.maml)
                if ($l -match '^(.*?):\s*(https?://\S+)$') { $w.WriteElementString('maml', 'linkText', $ns.maml, $Matches[1]); $w.WriteElementString('maml', 'uri', $ns.maml, $Matches[2]) }
                else { $w.WriteElementString('maml', 'linkText', $ns.maml, $l); $w.WriteElementString('maml', 'uri', $ns.maml, '') }
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
            $w.WriteEndElement() # command:command
        }
        $w.WriteEndElement()
        $w.WriteEndDocument()
    }
    finally { $w.Dispose() }
}

function Write-Paras($w, [string] $Element, [string[]] $Paras) {
    $w.WriteStartElement('maml', $Element, 'http://schemas.microsoft.com/maml/2004/10')
    foreach ($para in $Paras) { $w.WriteElementString('maml', 'para', 'http://schemas.microsoft.com/maml/2004/10', $para) }
    $w.WriteEndElement()
}

function Write-Parameter($w, $p, $sp, [string[]] $Text, $Defaults) {
    $cns = 'http://schemas.microsoft.com/maml/dev/command/2004/10'; $mns = 'http://schemas.microsoft.com/maml/2004/10'; $dns = 'http://schemas.microsoft.com/maml/dev/2004/10'
    $isSwitch = $p.ParameterType -eq [System.Management.Automation.SwitchParameter]
    $pipe = @()
    if ($sp -and $sp.ValueFromPipeline) { $pipe += 'ByValue' }
    if ($sp -and $sp.ValueFromPipelineByPropertyName) { $pipe += 'ByPropertyName' }
    $w.WriteStartElement('command', 'parameter', $cns)
    $w.WriteAttributeString('required', $(if ($sp -and $sp.IsMandatory) { 'true' } else { 'false' }))
    $w.WriteAttributeString('variableLength', 'true')
    $w.WriteAttributeString('globbing', 'false')
    $w.WriteAttributeString('pipelineInput', $(if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }))
    $w.WriteAttributeString('position', $(if ($sp -and $sp.Position -ge 0) { [string]$sp.Position } else { 'named' }))
    $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
    $w.WriteElementString('maml', 'name', $mns, $p.Name)
    Write-Paras $w 'description' $Text
    if (-not $isSwitch) {
        $w.WriteStartElement('command', 'parameterValue', $cns); $w.WriteAttributeString('required', 'true'); $w.WriteAttributeString('variableLength', 'false')
        $w.WriteString($p.ParameterType.Name); $w.WriteEndElement()
    }
    $w.WriteStartElement('dev', 'type', $dns); $w.WriteElementString('maml', 'name', $mns, $p.ParameterType.Name); $w.WriteElementString('maml', 'uri', $mns, ''); $w.WriteEndElement()
    $default = $null
    $prop = $Defaults.GetType().GetProperty($p.Name)
    if ($prop -and $p.Name -notin 'WhatIf', 'Confirm') { $default = $prop.GetValue($Defaults) }
    $shown = if ($isSwitch) { 'False' } elseif ($null -eq $default -or [string]$default -eq '') { 'None' } else { [string]$default }
    $w.WriteElementString('dev', 'defaultValue', $dns, $shown)
    $w.WriteEndElement()
}

function ConvertTo-DyplsAboutText {
    <#
    .SYNOPSIS
        about_X.md -> about_X.help.txt in the classic layout: headings in capitals at column 0, text indented
        4 spaces and wrapped at 80 columns, code indented 8 spaces as written.
    #>
    param([Parameter(Mandatory)][string] $Path, [Parameter(Mandatory)][string] $OutFile)
    $lines = [IO.File]::ReadAllLines($Path)
    $top = Split-MarkdownSections $lines 1
    $sb = [Text.StringBuilder]::new()
    $null = $sb.AppendLine('TOPIC').AppendLine("    $($top[0].Title)").AppendLine()
    foreach ($s in (Split-MarkdownSections $top[0].Lines 2)) {
        $null = $sb.AppendLine($s.Title.ToUpperInvariant())
        $inFence = $false
        $para = [Collections.Generic.List[string]]::new()
        $flush = {
            if ($para.Count) {
                $isList = $para[0] -match '^(-|\d+\.)\s'
                $indent = '    '; $hang = if ($isList) { '    ' + (' ' * ($para[0].IndexOf(' ') + 1)) } else { '    ' }
                $words = ($para -join ' ') -split '\s+'
                $line = $indent
                foreach ($word in $words) {
                    if ($line.Trim().Length -and ($line.Length + 1 + $word.Length) -gt 80) { $null = $sb.AppendLine($line.TrimEnd()); $line = $hang }
                    $line += $(if ($line.Trim().Length) { ' ' } else { '' }) + $word
                }
                $null = $sb.AppendLine($line.TrimEnd())
                $para.Clear()
            }
        }
        foreach ($l in $s.Lines) {
            if ($l -match '^```') { & $flush; $inFence = -not $inFence; continue }
            if ($inFence) { $null = $sb.AppendLine(('        ' + $l).TrimEnd()); continue }
            if ($l.Trim() -eq '') { & $flush; $null = $sb.AppendLine(); continue }
            if ($l -match '^(-|\d+\.)\s') { & $flush }
            $para.Add($l.Trim())
        }
        & $flush
    }
    $null = New-Item -ItemType Directory -Force (Split-Path $OutFile)
    # Blank-line runs collapse to one; UTF-8 with BOM so Windows PowerShell 5.1 shows the Chinese names.
    $text = [regex]::Replace($sb.ToString(), '(\r?\n){3,}', [Environment]::NewLine + [Environment]::NewLine)
    [IO.File]::WriteAllText($OutFile, $text, [Text.UTF8Encoding]::new($true))
}

Export-ModuleMember -Function Read-DyplsHelpMarkdown, ConvertTo-DyplsMaml, ConvertTo-DyplsAboutText, Get-DyplsHelpParameters
