using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>
/// GET/POST / : the Dyplsapi RPC gateway and the QueryRecordFileDownloadUrl product behind it.
/// Gateway errors carry 4xx/5xx statuses; product errors are HTTP 200 with a Code other than OK.
/// </summary>
internal sealed class RpcEndpoint
{
    private const string CallTimeFormat = "yyyy-MM-dd HH:mm:ss";
    private const int MaxCallIdLength = 100;

    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly SignatureVerifier _verifier;
    private readonly QpsLimiter _qps = new();
    private readonly CancellationToken _stopping;
    private readonly ReceiptCallTimes? _callTimes;

    /// <param name="stopping">Fires when the server stops, so stalled answers let go.</param>
    /// <param name="callTimes">The call_time of every receipt on the emulated queues, by CallId.</param>
    public RpcEndpoint(EmulatorOptions options, EmulatorStats stats, SignatureVerifier verifier, CancellationToken stopping, ReceiptCallTimes? callTimes = null)
    {
        _options = options;
        _stats = stats;
        _verifier = verifier;
        _stopping = stopping;
        _callTimes = callTimes;
    }

    /// <param name="parameters">Query and form merged (<see cref="ReadParametersAsync"/>).</param>
    public async Task HandleAsync(HttpContext context, Dictionary<string, string> parameters)
    {
        _stats.ApiRequest();
        var requestId = RpcResponseWriter.NewRequestId();
        context.Response.Headers["x-acs-request-id"] = requestId;
        var xml = RpcResponseWriter.WantsXml(parameters);

        var latency = _options.ApiLatencyMs;
        if (latency > 0)
        {
            await Task.Delay(latency, context.RequestAborted);
        }

        var faults = _options.Faults;
        // The server's own clock, shifted by the clock-skew fault; a skewed Date header lets clients see the offset.
        var skew = faults.ClockSkewSeconds;
        var now = DateTimeOffset.UtcNow.AddSeconds(skew);
        if (skew != 0)
        {
            context.Response.Headers.Date = now.ToString("R", CultureInfo.InvariantCulture);
        }

        // One roll per RPC request, before any verification (see EmulatorFaults on determinism).
        var fault = faults.NextApiFault();
        if (faults.ServiceUnavailable)
        {
            await RpcResponseWriter.WriteGatewayErrorAsync(context, GatewayError.ServiceUnavailable(), requestId, xml);
            return;
        }
        switch (fault)
        {
            case ApiFault.Reset:
                _stats.FaultInjected(FaultKind.ApiReset);
                context.Abort();
                return;
            case ApiFault.Stall:
                _stats.FaultInjected(FaultKind.ApiStall);
                await FaultHelpers.StallAsync(context, _stopping);
                return;
            case ApiFault.EndlessError:
                _stats.FaultInjected(FaultKind.ApiEndlessError);
                await RpcResponseWriter.WriteEndlessGatewayErrorAsync(context, GatewayError.EndlessBadRequest(), requestId, xml, _stopping);
                return;
            case ApiFault.InternalError or ApiFault.ServiceUnavailable:
                _stats.FaultInjected(FaultKind.Api5xx);
                await RpcResponseWriter.WriteGatewayErrorAsync(context,
                    fault == ApiFault.InternalError ? GatewayError.InternalError() : GatewayError.ServiceUnavailable(), requestId, xml);
                return;
            case ApiFault.Throttle:
                _stats.FaultInjected(FaultKind.ApiThrottle);
                await WriteThrottledAsync(context, requestId, xml);
                return;
        }

        var error = Authorize(context.Request.Method, parameters, now);
        if (error is not null)
        {
            if (error.Code == "SignatureDoesNotMatch")
            {
                _stats.SignatureFailure();
            }
            else if (error.IsAuthFailure)
            {
                _stats.AuthFailure();
            }
            else if (error.Code == "Forbidden.RAM")
            {
                _stats.RamDeny();
            }
            else if (error.Code == "Throttling.User")
            {
                await WriteThrottledAsync(context, requestId, xml);
                return;
            }
            await RpcResponseWriter.WriteGatewayErrorAsync(context, error, requestId, xml);
            return;
        }

        if (fault == ApiFault.SystemError)
        {
            // The gateway let the call through; the product failed, as it does now and then.
            _stats.FaultInjected(FaultKind.ApiSystemError);
            await RpcResponseWriter.WriteProductAsync(context, requestId, "isp.SYSTEM_ERROR", "A system error occurred. Please try again later.", null, xml);
            return;
        }

        var (code, message, url) = Query(context.Request, parameters);
        if (code == "OK")
        {
            _stats.ApiSuccess();
        }
        await RpcResponseWriter.WriteProductAsync(context, requestId, code, message, url, xml);
    }

    /// <summary>Throttling.User, from the QPS limit or injected; counted in <c>throttled</c> either way.</summary>
    private Task WriteThrottledAsync(HttpContext context, string requestId, bool xml)
    {
        _stats.Throttle();
        if (_options.RetryAfterMs is { } retryAfter)
        {
            context.Response.Headers["x-acs-retry-after"] = retryAfter.ToString(CultureInfo.InvariantCulture);
        }
        return RpcResponseWriter.WriteGatewayErrorAsync(context, GatewayError.Throttled(), requestId, xml);
    }

    /// <param name="now">The emulator's clock (skewed by the clock-skew fault).</param>
    private GatewayError? Authorize(string method, Dictionary<string, string> parameters, DateTimeOffset now)
    {
        var error = _verifier.Verify(method, parameters, now, TimeSpan.FromMinutes(_options.TimestampWindowMinutes));
        if (error is not null)
        {
            return error;
        }
        if (!_qps.TryAcquire(_options.Qps, now))
        {
            return GatewayError.Throttled();
        }
        if (!parameters.TryGetValue("Action", out var action) || action.Length == 0)
        {
            return GatewayError.Missing("Action");
        }
        if (!string.Equals(action, EmulatorDefaults.Action, StringComparison.Ordinal))
        {
            return GatewayError.ActionNotFound();
        }
        if (!parameters.TryGetValue("Version", out var version) || version.Length == 0)
        {
            return GatewayError.Missing("Version");
        }
        if (!string.Equals(version, EmulatorDefaults.ApiVersion, StringComparison.Ordinal))
        {
            return GatewayError.InvalidVersion();
        }
        // RAM is judged last: the call is authentic and names a real action, but this identity may not perform it.
        var key = _verifier.Find(parameters["AccessKeyId"]);
        return key is { Denied: true } || _options.Faults.RamDenyAll ? GatewayError.ForbiddenRam() : null;
    }

    /// <summary>The product's checks, then a signed URL. Retention is judged on the caller's CallTime.</summary>
    private (string Code, string Message, string? Url) Query(HttpRequest request, IReadOnlyDictionary<string, string> parameters)
    {
        const string invalid = "isv.INVALID_PARAMETERS";
        var callId = parameters.GetValueOrDefault("CallId", string.Empty);
        var callTime = parameters.GetValueOrDefault("CallTime", string.Empty);
        var poolKey = parameters.GetValueOrDefault("PoolKey", string.Empty);
        if (callId.Length == 0)
        {
            return (invalid, "Parameter CallId is required.", null);
        }
        if (callId.Length > MaxCallIdLength)
        {
            return (invalid, "Parameter CallId must be at most 100 characters.", null);
        }
        if (callTime.Length == 0)
        {
            return (invalid, "Parameter CallTime is required.", null);
        }
        if (!DateTime.TryParseExact(callTime, CallTimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var localCallTime))
        {
            return (invalid, "Parameter CallTime must be yyyy-MM-dd HH:mm:ss (China Standard Time, UTC+8).", null);
        }
        // Older accounts name the pool by its ProductType (the page calls it deprecated): either identifies the calls.
        var productType = parameters.GetValueOrDefault("ProductType", string.Empty);
        if (poolKey.Length == 0 && productType.Length == 0)
        {
            return (invalid, "Parameter PoolKey is required.", null);
        }
        if (string.Equals(poolKey, "NOPOOL", StringComparison.Ordinal))
        {
            return ("isv.POOLKEY_NOT_EXISTS", "The PoolKey does not exist.", null);
        }

        var retentionDays = _options.RetentionDays;
        var callInstant = new DateTimeOffset(localCallTime, EmulatorDefaults.CallTimeOffset);
        var now = DateTimeOffset.UtcNow;
        // The service finds a call by its CallId and the time it began: for a CallId that came in a receipt, only the
        // receipt's call_time (epoch ms) in Beijing time, to the second, finds the recording.
        var callTimeMismatch = false;
        if (_callTimes is not null && _callTimes.TryGet(callId, out var receiptMs) &&
            !string.Equals(callTime, MnsTokenEndpoint.BeijingTime(DateTimeOffset.FromUnixTimeMilliseconds(receiptMs)), StringComparison.Ordinal))
        {
            _stats.CallTimeMismatch();
            callTimeMismatch = true;
        }
        if (callTimeMismatch || callId.StartsWith("norecord", StringComparison.OrdinalIgnoreCase) || callInstant < now.AddDays(-retentionDays))
        {
            return ("isv.RECORD_FILE_NOT_EXIST",
                string.Create(CultureInfo.InvariantCulture, $"No recording exists for this call. Recordings are kept for {retentionDays} days."), null);
        }

        // The URL points back at whatever host the client reached us by, so it works through --host 0.0.0.0 too.
        var baseUrl = request.Scheme + "://" + request.Host.Value + "/";
        var expires = now.ToUnixTimeSeconds() + _options.UrlTtlSeconds;
        var url = DownloadUrlSigner.BuildUrl(baseUrl, DownloadUrlSigner.ObjectNameFor(callId, poolKey), expires);
        return ("OK", "OK", url);
    }

    /// <summary>Query string and form body merged (the body wins a clash); repeated names keep the last value.</summary>
    internal static async Task<Dictionary<string, string>> ReadParametersAsync(HttpRequest request, CancellationToken ct)
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in request.Query)
        {
            parameters[pair.Key] = pair.Value.Count > 0 ? pair.Value[^1] ?? string.Empty : string.Empty;
        }
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            foreach (var pair in form)
            {
                parameters[pair.Key] = pair.Value.Count > 0 ? pair.Value[^1] ?? string.Empty : string.Empty;
            }
        }
        return parameters;
    }
}
