<#
.SYNOPSIS
    Bench peer 2: the best an expert writes without Dypls: peer 1's code in ForEach-Object -Parallel at the
    same concurrency as Dypls.
#>
param(
    [Parameter(Mandatory)][string] $Endpoint,
    [Parameter(Mandatory)][string] $AccessKeyId,
    [Parameter(Mandatory)][string] $AccessKeySecret,
    [Parameter(Mandatory)][string] $CsvPath,
    [Parameter(Mandatory)][string] $Destination,
    [int] $ThrottleLimit = 8
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$null = New-Item -ItemType Directory -Force $Destination

Import-Csv $CsvPath | ForEach-Object -ThrottleLimit $ThrottleLimit -Parallel {
    $ErrorActionPreference = 'Stop'
    $ProgressPreference = 'SilentlyContinue'
    $row = $_
    function ConvertTo-RpcEncoded([string] $s) {
        [uri]::EscapeDataString($s).Replace('+', '%20').Replace('*', '%2A').Replace('%7E', '~').Replace('!', '%21').Replace("'", '%27').Replace('(', '%28').Replace(')', '%29')
    }
    $params = @{
        Action = 'QueryRecordFileDownloadUrl'; Version = '2017-05-25'; Format = 'JSON'
        AccessKeyId = $using:AccessKeyId; SignatureMethod = 'HMAC-SHA1'; SignatureVersion = '1.0'
        SignatureNonce = [guid]::NewGuid().ToString(); Timestamp = [datetime]::UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ')
        CallId = $row.CallId; CallTime = $row.CallTime; PoolKey = $row.PoolKey
    }
    [string[]] $keys = $params.Keys
    [Array]::Sort($keys, [StringComparer]::Ordinal)
    $canonical = ($keys | ForEach-Object { (ConvertTo-RpcEncoded $_) + '=' + (ConvertTo-RpcEncoded $params[$_]) }) -join '&'
    $stringToSign = 'GET&%2F&' + (ConvertTo-RpcEncoded $canonical)
    $hmac = [System.Security.Cryptography.HMACSHA1]::new([Text.Encoding]::UTF8.GetBytes($using:AccessKeySecret + '&'))
    $signature = [Convert]::ToBase64String($hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($stringToSign)))
    $answer = Invoke-RestMethod -Uri (($using:Endpoint).TrimEnd('/') + '/?' + $canonical + '&Signature=' + (ConvertTo-RpcEncoded $signature))
    Invoke-WebRequest -Uri $answer.DownloadUrl -OutFile (Join-Path $using:Destination ($row.CallId + '.mp3'))
}
