<#
.SYNOPSIS
    Bench peer 1: the script admins write today. Signs in PowerShell with HMACSHA1, asks for each URL with
    Invoke-RestMethod and saves it with Invoke-WebRequest -OutFile, one row after another.
#>
param(
    [Parameter(Mandatory)][string] $Endpoint,
    [Parameter(Mandatory)][string] $AccessKeyId,
    [Parameter(Mandatory)][string] $AccessKeySecret,
    [Parameter(Mandatory)][string] $CsvPath,
    [Parameter(Mandatory)][string] $Destination
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'   # as any admin learns to do: the progress bar slows Invoke-WebRequest
$null = New-Item -ItemType Directory -Force $Destination

function ConvertTo-RpcEncoded([string] $s) {
    [uri]::EscapeDataString($s).Replace('+', '%20').Replace('*', '%2A').Replace('%7E', '~').Replace('!', '%21').Replace("'", '%27').Replace('(', '%28').Replace(')', '%29')
}

foreach ($row in Import-Csv $CsvPath) {
    $params = @{
        Action = 'QueryRecordFileDownloadUrl'; Version = '2017-05-25'; Format = 'JSON'
        AccessKeyId = $AccessKeyId; SignatureMethod = 'HMAC-SHA1'; SignatureVersion = '1.0'
        SignatureNonce = [guid]::NewGuid().ToString(); Timestamp = [datetime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        CallId = $row.CallId; CallTime = $row.CallTime; PoolKey = $row.PoolKey
    }
    [string[]] $keys = $params.Keys
    [Array]::Sort($keys, [StringComparer]::Ordinal)
    $canonical = ($keys | ForEach-Object { (ConvertTo-RpcEncoded $_) + '=' + (ConvertTo-RpcEncoded $params[$_]) }) -join '&'
    $stringToSign = 'GET&%2F&' + (ConvertTo-RpcEncoded $canonical)
    $hmac = [System.Security.Cryptography.HMACSHA1]::new([Text.Encoding]::UTF8.GetBytes($AccessKeySecret + '&'))
    $signature = [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($stringToSign)))
    $answer = Invoke-RestMethod -Uri ($Endpoint.TrimEnd('/') + '/?' + $canonical + '&Signature=' + (ConvertTo-RpcEncoded $signature))
    Invoke-WebRequest -Uri $answer.DownloadUrl -OutFile (Join-Path $Destination ($row.CallId + '.mp3'))
}
