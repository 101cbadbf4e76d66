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
    private readonly MnsQueueRegistry? _queues;
    private readonly ReceiptEnqueuer? _receipts;
    private readonly ReceiptCallTimes? _callTimes;
    private readonly ServedRecordings? _served;

    public ControlEndpoints(EmulatorOptions options, EmulatorStats stats, RecordingCatalog recordings, CredentialStore? credentials = null,
        MnsQueueRegistry? queues = null, ReceiptEnqueuer? receipts = null, ReceiptCallTimes? callTimes = null, ServedRecordings? served = null)
    {
        _options = options;
        _stats = stats;
        _recordings = recordings;
        _credentials = credentials;
        _queues = queues;
        _receipts = receipts;
        _callTimes = callTimes;
        _served = served;
    }

    /// <summary>GET /_emulator/sts-keys: the STS keys minted so far, secrets included, so a test can search its logs for them.</summary>
    public IResult StsKeys() => Results.Json((_credentials?.Minted ?? Array.Empty<EmulatorAccessKey>())
        .Select(k => new { accessKeyId = k.AccessKeyId, accessKeySecret = k.AccessKeySecret, securityToken = k.SecurityToken }));

    public IResult Stats() => Results.Json(_stats.Snapshot());

    /// <summary>Counters to zero, and the queues back to their start state (with the served-recording and call-time records).</summary>
    public IResult Reset()
    {
        _stats.Reset();
        _served?.Clear();
        _callTimes?.Clear();
        _queues?.Reset();
        return Results.Json(_stats.Snapshot());
    }

    /// <summary>GET /_emulator/queues/{name}: counts and messages (404 for an unknown queue).</summary>
    public IResult Queue(string name)
    {
        var queue = _queues?.Find(name);
        return queue is null
            ? Results.NotFound(new { error = "No queue named " + name + "." })
            : Results.Json(queue.State(DateTimeOffset.UtcNow));
    }

    /// <summary>GET /_emulator/queues: the names of the queues.</summary>
    public IResult QueueNames() => Results.Json(_queues?.Names ?? Array.Empty<string>());

    /// <summary>
    /// POST /_emulator/queues/{name} with {"count","callIdPrefix","duplicates","noRecording","bodies","messageType"} (all
    /// optional): creates the queue if it is new, enqueues the receipts and answers their MessageIds and CallIds.
    /// </summary>
    public async Task<IResult> EnqueueAsync(HttpContext context, string name)
    {
        if (_queues is null || _receipts is null)
        {
            return Results.NotFound();
        }
        ReceiptRequest request;
        try
        {
            request = await ReadReceiptRequestAsync(context);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            return Results.BadRequest(new { error = "Body must be {\"count\":N, \"callIdPrefix\":\"x\", \"duplicates\":M, \"noRecording\":K, \"bodies\":[\"{…}\"], \"messageType\":\"SecretRecording\"}: " + e.Message });
        }
        var queue = _queues.GetOrCreate(name, request.MessageType);
        var baseUrl = context.Request.Scheme + "://" + context.Request.Host.Value + "/";
        return Results.Json(_receipts.Enqueue(queue, request, baseUrl));
    }

    private const int MaxReceiptsPerRequest = 100_000;

    private static async Task<ReceiptRequest> ReadReceiptRequestAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        if (text.Trim().Length == 0)
        {
            return new ReceiptRequest(0, ReceiptEnqueuer.DefaultCallIdPrefix, 0, 0, Array.Empty<string>(), null);
        }
        using var doc = JsonDocument.Parse(text);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("not a JSON object");
        }
        int Count(string field) =>
            !root.TryGetProperty(field, out var v) ? 0
            : v.TryGetInt32(out var n) && n is >= 0 and <= MaxReceiptsPerRequest ? n
            : throw new FormatException(field + " must be a whole number from 0 to " + MaxReceiptsPerRequest);
        string? Text(string field) =>
            !root.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null ? null
            : v.ValueKind == JsonValueKind.String ? v.GetString()
            : throw new FormatException(field + " must be a string");
        var bodies = new List<string>();
        if (root.TryGetProperty("bodies", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array)
            {
                throw new FormatException("bodies must be an array of strings");
            }
            foreach (var body in list.EnumerateArray())
            {
                // A raw JSON string as it is; an object is taken as its JSON text, for convenience.
                bodies.Add(body.ValueKind == JsonValueKind.String ? body.GetString()! : body.GetRawText());
            }
        }
        var prefix = Text("callIdPrefix") ?? ReceiptEnqueuer.DefaultCallIdPrefix;
        return new ReceiptRequest(Count("count"), prefix, Count("duplicates"), Count("noRecording"), bodies, Text("messageType"));
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
            case "visibilityTimeoutSeconds" when v.TryGetInt32(out var i) && i is >= 1 and <= 43200:
                _options.VisibilityTimeoutSeconds = i;
                return true;
            case "pollingWaitSeconds" when v.TryGetInt32(out var i) && i is >= 0 and <= 30:
                _options.PollingWaitSeconds = i;
                return true;
            case "mns5xxRate" when Rate(v, out var r):
                _options.Faults.Mns5xxRate = r;
                return true;
            case "mnsResetRate" when Rate(v, out var r):
                _options.Faults.MnsResetRate = r;
                return true;
            case "mnsSlowRate" when Rate(v, out var r):
                _options.Faults.MnsSlowRate = r;
                return true;
            case "mnsSlowMs" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.MnsSlowMs = i;
                return true;
            case "mns5xxNext" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.Mns5xxNext = i;
                return true;
            case "mnsResetNext" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.MnsResetNext = i;
                return true;
            case "mnsSlowNext" when v.TryGetInt32(out var i) && i >= 0:
                _options.Faults.MnsSlowNext = i;
                return true;
            case "mnsDeniedQueue" when v.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                _options.Faults.MnsDeniedQueue = v.ValueKind == JsonValueKind.Null || v.GetString()!.Length == 0 ? null : v.GetString();
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
        ["visibilityTimeoutSeconds"] = _options.VisibilityTimeoutSeconds,
        ["pollingWaitSeconds"] = _options.PollingWaitSeconds,
        ["mns5xxRate"] = _options.Faults.Mns5xxRate,
        ["mnsResetRate"] = _options.Faults.MnsResetRate,
        ["mnsSlowRate"] = _options.Faults.MnsSlowRate,
        ["mnsSlowMs"] = _options.Faults.MnsSlowMs,
        ["mns5xxNext"] = _options.Faults.Mns5xxNext,
        ["mnsResetNext"] = _options.Faults.MnsResetNext,
        ["mnsSlowNext"] = _options.Faults.MnsSlowNext,
        ["mnsDeniedQueue"] = _options.Faults.MnsDeniedQueue,
        ["recordingVersions"] = new SortedDictionary<string, int>(_options.RecordingVersions, StringComparer.Ordinal),
    };
}
