using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>
/// /_emulator/*: unauthenticated hooks for tests (stats, reset, expected recording bytes, runtime settings).
/// Only safe because the emulator binds loopback by default.
/// </summary>
internal sealed class ControlEndpoints
{
    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly RecordingCatalog _recordings;
    private readonly CredentialStore? _credentials;

    public ControlEndpoints(EmulatorOptions options, EmulatorStats stats, RecordingCatalog recordings, CredentialStore? credentials = null)
    {
        _options = options;
        _stats = stats;
        _recordings = recordings;
        _credentials = credentials;
    }

    /// <summary>GET /_emulator/sts-keys: the STS keys minted so far, secrets included, so a test can search its logs for them.</summary>
    public IResult StsKeys() => Results.Json((_credentials?.Minted ?? Array.Empty<EmulatorAccessKey>())
        .Select(k => new { accessKeyId = k.AccessKeyId, accessKeySecret = k.AccessKeySecret, securityToken = k.SecurityToken }));

    public IResult Stats() => Results.Json(_stats.Snapshot());

    public IResult Reset()
    {
        _stats.Reset();
        return Results.Json(_stats.Snapshot());
    }

    /// <summary>GET /_emulator/recording?CallId=… → exactly what a download of that CallId serves.</summary>
    public async Task RecordingAsync(HttpContext context)
    {
        var callId = context.Request.Query["CallId"].ToString();
        if (callId.Length == 0)
        {
            context.Response.StatusCode = 400;
            await context.Response.WriteAsync("CallId is required.", context.RequestAborted);
            return;
        }
        var content = _recordings.Get(callId, _options);
        context.Response.ContentType = "audio/mpeg";
        context.Response.ContentLength = content.Length;
        context.Response.Headers.ETag = _recordings.ETagOf(content);
        await content.CopyToAsync(context.Response.Body, 0, content.Length, null, context.RequestAborted);
    }

    /// <summary>POST /_emulator/settings with a JSON object of the settings to change; answers the current settings.</summary>
    public async Task<IResult> SettingsAsync(HttpContext context)
    {
        if (HttpMethods.IsPost(context.Request.Method))
        {
            JsonDocument doc;
            try
            {
                doc = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
            }
            catch (JsonException e)
            {
                return Results.BadRequest(new { error = "Body must be a JSON object: " + e.Message });
            }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    return Results.BadRequest(new { error = "Body must be a JSON object." });
                }
                var errors = new List<string>();
                foreach (var property in doc.RootElement.EnumerateObject())
                {
                    if (!TryApply(property))
                    {
                        errors.Add(property.Name);
                    }
                }
                if (errors.Count > 0)
                {
                    return Results.BadRequest(new { error = "Unknown setting or bad value: " + string.Join(", ", errors) });
                }
            }
        }
        return Results.Json(Current());
    }

    /// <summary>False for an unknown name or a value of the wrong JSON kind (TryGetInt32 on a string throws).</summary>
    private bool TryApply(JsonProperty p)
    {
        try
        {
            return Apply(p);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private bool Apply(JsonProperty p)
    {
        var v = p.Value;
        switch (p.Name)
        {
            case "urlTtlSeconds" when v.TryGetInt32(out var i):
                _options.UrlTtlSeconds = i;
                return true;
            case "qps" when v.TryGetInt32(out var i) && i >= 0:
                _options.Qps = i;
                return true;
            case "apiLatencyMs" when v.TryGetInt32(out var i) && i >= 0:
                _options.ApiLatencyMs = i;
                return true;
            case "downloadLatencyMs" when v.TryGetInt32(out var i) && i >= 0:
                _options.DownloadLatencyMs = i;
                return true;
            case "recordingSize" when v.TryGetInt64(out var l) && l >= 0:
                _options.RecordingSize = l;
                return true;
            case "timestampWindowMinutes" when v.TryGetInt32(out var i) && i >= 0:
                _options.TimestampWindowMinutes = i;
                return true;
            case "retentionDays" when v.TryGetInt32(out var i) && i >= 0:
                _options.RetentionDays = i;
                return true;
            case "ecsCredentialLifetimeSeconds" when v.TryGetInt32(out var i) && i > 0:
                _options.EcsCredentialLifetimeSeconds = i;
                return true;
            case "stsSessionSeconds" when v.TryGetInt32(out var i) && i > 0:
                _options.StsSessionSeconds = i;
                return true;
            case "stsThrottle" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                _options.StsThrottle = v.GetBoolean();
                return true;
            case "credentialsUriFail" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                _options.CredentialsUriFail = v.GetBoolean();
                return true;
            case "metadataStall" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                _options.MetadataStall = v.GetBoolean();
                return true;
            case "retryAfterMs" when v.ValueKind == JsonValueKind.Null:
                _options.RetryAfterMs = null;
                return true;
            case "retryAfterMs" when v.TryGetInt32(out var i) && i >= 0:
                _options.RetryAfterMs = i;
                return true;
            case "serviceUnavailable" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                _options.Faults.ServiceUnavailable = v.GetBoolean();
                return true;
            case "cutDownloads" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.CutDownloads = i;
                return true;
            case "cutDownloadsAtBytes" when v.TryGetInt64(out var l) && l >= 0:
                _options.Faults.CutDownloadsAtBytes = l;
                return true;
            case "faultSeed" when v.TryGetInt32(out var i):
                _options.Faults.Seed = i;
                return true;
            case "api5xxRate" when Rate(v, out var r):
                _options.Faults.Api5xxRate = r;
                return true;
            case "apiThrottleRate" when Rate(v, out var r):
                _options.Faults.ApiThrottleRate = r;
                return true;
            case "apiSystemErrorRate" when Rate(v, out var r):
                _options.Faults.ApiSystemErrorRate = r;
                return true;
            case "apiResetRate" when Rate(v, out var r):
                _options.Faults.ApiResetRate = r;
                return true;
            case "apiStallRate" when Rate(v, out var r):
                _options.Faults.ApiStallRate = r;
                return true;
            case "clockSkewSeconds" when v.TryGetInt32(out var i) && Math.Abs((long)i) <= CommandLine.MaxClockSkewSeconds:
                _options.Faults.ClockSkewSeconds = i;
                return true;
            case "download5xxRate" when Rate(v, out var r):
                _options.Faults.Download5xxRate = r;
                return true;
            case "downloadTruncateRate" when Rate(v, out var r):
                _options.Faults.DownloadTruncateRate = r;
                return true;
            case "downloadStallRate" when Rate(v, out var r):
                _options.Faults.DownloadStallRate = r;
                return true;
            case "downloadTotalBytesPerSecond" when v.TryGetInt64(out var total) && total >= 0:
                _options.Faults.DownloadTotalBytesPerSecond = total;
                return true;
            case "downloadSlowBytesPerSecond" when v.TryGetInt64(out var l) && l >= 0:
                _options.Faults.DownloadSlowBytesPerSecond = l;
                return true;
            case "expireNextDownloads" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.ExpireNextDownloads = i;
                return true;
            case "apiEndlessErrorRate" when Rate(v, out var r):
                _options.Faults.ApiEndlessErrorRate = r;
                return true;
            case "downloadEndless403Rate" when Rate(v, out var r):
                _options.Faults.DownloadEndless403Rate = r;
                return true;
            case "downloadHeaderStallRate" when Rate(v, out var r):
                _options.Faults.DownloadHeaderStallRate = r;
                return true;
            case "downloadCorruptRate" when Rate(v, out var r):
                _options.Faults.DownloadCorruptRate = r;
                return true;
            case "corruptNextDownloads" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.CorruptNextDownloads = i;
                return true;
            case "metadataUnreachable" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                _options.Faults.MetadataUnreachable = v.GetBoolean();
                return true;
            case "ramDenyAll" when v.ValueKind is JsonValueKind.True or JsonValueKind.False:
                _options.Faults.RamDenyAll = v.GetBoolean();
                return true;
            case "tokenLifetimeSeconds" when v.TryGetInt32(out var i) && i > 0:
                _options.TokenLifetimeSeconds = i;
                return true;
            case "recordingVersion" when v.TryGetInt32(out var i):
                _options.RecordingVersion = i;
                return true;
            case "recordingVersions" when v.ValueKind == JsonValueKind.Object:
                // Validate all first, so a bad value changes nothing.
                var versions = new List<(string CallId, int? Version)>();
                foreach (var entry in v.EnumerateObject())
                {
                    if (entry.Value.ValueKind == JsonValueKind.Null)
                    {
                        versions.Add((entry.Name, null));
                    }
                    else if (entry.Value.ValueKind == JsonValueKind.Number && entry.Value.TryGetInt32(out var version))
                    {
                        versions.Add((entry.Name, version));
                    }
                    else
                    {
                        return false;
                    }
                }
                foreach (var (callId, version) in versions)
                {
                    if (version is { } n)
                    {
                        _options.RecordingVersions[callId] = n;
                    }
                    else
                    {
                        _options.RecordingVersions.TryRemove(callId, out _);
                    }
                }
                return true;
            default:
                return false;
        }
    }

    private static bool Rate(JsonElement v, out double rate)
    {
        rate = 0;
        return v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out rate) && rate is >= 0 and <= 1;
    }

    private Dictionary<string, object?> Current() => new()
    {
        ["urlTtlSeconds"] = _options.UrlTtlSeconds,
        ["qps"] = _options.Qps,
        ["apiLatencyMs"] = _options.ApiLatencyMs,
        ["downloadLatencyMs"] = _options.DownloadLatencyMs,
        ["recordingSize"] = _options.RecordingSize,
        ["timestampWindowMinutes"] = _options.TimestampWindowMinutes,
        ["retentionDays"] = _options.RetentionDays,
        ["ecsCredentialLifetimeSeconds"] = _options.EcsCredentialLifetimeSeconds,
        ["retryAfterMs"] = _options.RetryAfterMs,
        ["stsSessionSeconds"] = _options.StsSessionSeconds,
        ["stsThrottle"] = _options.StsThrottle,
        ["credentialsUriFail"] = _options.CredentialsUriFail,
        ["metadataStall"] = _options.MetadataStall,
        ["serviceUnavailable"] = _options.Faults.ServiceUnavailable,
        ["cutDownloads"] = _options.Faults.CutDownloads,
        ["cutDownloadsAtBytes"] = _options.Faults.CutDownloadsAtBytes,
        ["faultSeed"] = _options.Faults.Seed,
        ["api5xxRate"] = _options.Faults.Api5xxRate,
        ["apiThrottleRate"] = _options.Faults.ApiThrottleRate,
        ["apiSystemErrorRate"] = _options.Faults.ApiSystemErrorRate,
        ["apiResetRate"] = _options.Faults.ApiResetRate,
        ["apiStallRate"] = _options.Faults.ApiStallRate,
        ["clockSkewSeconds"] = _options.Faults.ClockSkewSeconds,
        ["download5xxRate"] = _options.Faults.Download5xxRate,
        ["downloadTruncateRate"] = _options.Faults.DownloadTruncateRate,
        ["downloadStallRate"] = _options.Faults.DownloadStallRate,
        ["downloadSlowBytesPerSecond"] = _options.Faults.DownloadSlowBytesPerSecond,
        ["downloadTotalBytesPerSecond"] = _options.Faults.DownloadTotalBytesPerSecond,
        ["expireNextDownloads"] = _options.Faults.ExpireNextDownloads,
        ["apiEndlessErrorRate"] = _options.Faults.ApiEndlessErrorRate,
        ["downloadEndless403Rate"] = _options.Faults.DownloadEndless403Rate,
        ["downloadHeaderStallRate"] = _options.Faults.DownloadHeaderStallRate,
        ["downloadCorruptRate"] = _options.Faults.DownloadCorruptRate,
        ["corruptNextDownloads"] = _options.Faults.CorruptNextDownloads,
        ["ramDenyAll"] = _options.Faults.RamDenyAll,
        ["metadataUnreachable"] = _options.Faults.MetadataUnreachable,
        ["recordingVersion"] = _options.RecordingVersion,
        ["tokenLifetimeSeconds"] = _options.TokenLifetimeSeconds,
        ["recordingVersions"] = new SortedDictionary<string, int>(_options.RecordingVersions, StringComparer.Ordinal),
    };
}
