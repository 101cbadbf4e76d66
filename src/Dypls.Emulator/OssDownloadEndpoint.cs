using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Xml;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Dypls.Emulator;

/// <summary>
/// GET/HEAD /secret-axb-record-files/&lt;object&gt;: an OSS bucket serving recordings through V1 signed URLs,
/// with OSS's status codes, XML error bodies, ETag and single-range support.
/// </summary>
internal sealed class OssDownloadEndpoint
{
    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly RecordingStore _recordings;
    private readonly CancellationToken _stopping;

    /// <param name="stopping">Fires when the server stops, so stalled bodies let go.</param>
    public OssDownloadEndpoint(EmulatorOptions options, EmulatorStats stats, RecordingStore recordings, CancellationToken stopping)
    {
        _options = options;
        _stats = stats;
        _recordings = recordings;
        _stopping = stopping;
    }

    public async Task HandleAsync(HttpContext context)
    {
        _stats.DownloadRequest();
        var request = context.Request;
        var response = context.Response;
        var requestId = Guid.NewGuid().ToString("N").ToUpperInvariant()[..24];
        response.Headers["x-oss-request-id"] = requestId;
        response.Headers["Server"] = "AliyunOSS";
        var faults = _options.Faults;
        // One roll per download request, on arrival (see EmulatorFaults on determinism); applied after the checks.
        var fault = faults.NextDownloadFault(out var fraction);

        var latency = _options.DownloadLatencyMs;
        if (latency > 0)
        {
            await Task.Delay(latency, context.RequestAborted);
        }

        var prefix = "/" + EmulatorDefaults.Bucket + "/";
        var path = request.Path.Value ?? string.Empty;
        var objectName = path.Length > prefix.Length ? path[prefix.Length..] : string.Empty;

        var query = request.Query;
        string expiresText = query["Expires"].ToString(), keyId = query["OSSAccessKeyId"].ToString(), signature = query["Signature"].ToString();
        if (expiresText.Length == 0 || keyId.Length == 0 || signature.Length == 0)
        {
            await WriteErrorAsync(context, 403, "AccessDenied", "You have no right to access this object because of bucket acl.", requestId);
            return;
        }
        if (!long.TryParse(expiresText, NumberStyles.None, CultureInfo.InvariantCulture, out var expires))
        {
            await WriteErrorAsync(context, 403, "AccessDenied", "Invalid argument.", requestId);
            return;
        }
        if (!string.Equals(keyId, EmulatorDefaults.OssAccessKeyId, StringComparison.Ordinal))
        {
            await WriteErrorAsync(context, 403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.", requestId,
                ("OSSAccessKeyId", keyId));
            return;
        }
        var now = DateTimeOffset.UtcNow;
        // Expiry first, like OSS: an expired link says so even when someone also edited it.
        if (now.ToUnixTimeSeconds() > expires)
        {
            _stats.ExpiredDownload();
            await WriteErrorAsync(context, 403, "AccessDenied", "Request has expired.", requestId,
                ("Expires", DateTimeOffset.FromUnixTimeSeconds(expires).ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", CultureInfo.InvariantCulture)),
                ("ServerTime", now.ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", CultureInfo.InvariantCulture)));
            return;
        }
        var stringToSign = DownloadUrlSigner.StringToSign(expires, EmulatorDefaults.Bucket, objectName);
        var expected = DownloadUrlSigner.Sign(EmulatorDefaults.OssAccessKeySecret, expires, EmulatorDefaults.Bucket, objectName);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(signature)))
        {
            await WriteErrorAsync(context, 403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your key and signing method.", requestId,
                ("OSSAccessKeyId", keyId), ("StringToSign", stringToSign));
            return;
        }
        var callId = DownloadUrlSigner.CallIdFrom(objectName);
        if (callId is null)
        {
            await WriteErrorAsync(context, 404, "NoSuchKey", "The specified key does not exist.", requestId, ("Key", objectName));
            return;
        }
        if (faults.TakeExpiry())
        {
            // A URL that expires in the middle of a retry series, whatever its Expires says.
            _stats.ExpiredDownload();
            _stats.FaultInjected(FaultKind.DownloadExpired);
            await WriteErrorAsync(context, 403, "AccessDenied", "Request has expired.", requestId,
                ("Expires", DateTimeOffset.FromUnixTimeSeconds(expires).ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", CultureInfo.InvariantCulture)),
                ("ServerTime", now.ToString("yyyy-MM-dd'T'HH:mm:ss'.000Z'", CultureInfo.InvariantCulture)));
            return;
        }

        var content = _recordings.Get(callId, _options.RecordingsDir, _options.RecordingSize);
        var length = content.Length;
        var etag = _recordings.ETagOf(content);

        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = etag;
        response.Headers.LastModified = content.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.Headers["x-oss-object-type"] = "Normal";
        response.Headers["x-oss-storage-class"] = "Standard";

        long offset = 0, count = length;
        var status = 200;
        if (RangeApplies(request, etag))
        {
            var range = ParseRange(request.Headers.Range.ToString(), length);
            if (range is { Satisfiable: false })
            {
                response.Headers.ContentRange = "bytes */" + length.ToString(CultureInfo.InvariantCulture);
                await WriteErrorAsync(context, 416, "InvalidRange", "The requested range cannot be satisfied", requestId);
                return;
            }
            if (range is { } r)
            {
                offset = r.Start;
                count = r.End - r.Start + 1;
                status = 206;
                response.Headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {r.Start}-{r.End}/{length}");
                _stats.RangeRequest();
            }
        }

        if (fault is DownloadFault.InternalError or DownloadFault.ServiceUnavailable)
        {
            _stats.FaultInjected(FaultKind.Download5xx);
            response.Headers.Remove(HeaderNames.ContentRange);
            if (fault == DownloadFault.InternalError)
            {
                await WriteErrorAsync(context, 500, "InternalError", "We encountered an internal error. Please try again.", requestId);
            }
            else
            {
                await WriteErrorAsync(context, 503, "ServiceUnavailable", "Please reduce your request rate.", requestId);
            }
            return;
        }

        response.StatusCode = status;
        response.ContentType = "audio/mpeg";
        response.ContentLength = count;
        if (HttpMethods.IsHead(request.Method))
        {
            return;
        }
        await response.StartAsync(context.RequestAborted);

        var bytesPerSecond = faults.DownloadSlowBytesPerSecond;
        var body = bytesPerSecond > 0 ? new ThrottledStream(response.Body, bytesPerSecond) : response.Body;

        // Part of the body, then trouble. Only bodies of 2 bytes or more can be cut short ("at least 1, not all").
        long partial;
        if (faults.TakeCut())
        {
            _stats.CutDownload();
            partial = Math.Min(count, faults.CutDownloadsAtBytes);
        }
        else if (fault == DownloadFault.Truncate && count >= 2)
        {
            _stats.FaultInjected(FaultKind.DownloadTruncate);
            partial = PartOf(count, fraction);
        }
        else if (fault == DownloadFault.Stall && count >= 1)
        {
            _stats.FaultInjected(FaultKind.DownloadStall);
            await content.CopyToAsync(body, offset, count >= 2 ? PartOf(count, fraction) : 0, _stats.AddDownloadBytes, context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            await FaultHelpers.StallAsync(context, _stopping);
            return;
        }
        else
        {
            await content.CopyToAsync(body, offset, count, _stats.AddDownloadBytes, context.RequestAborted);
            return;
        }

        // A body cut off mid-way (cut budget or truncate rate): send part of it, then drop the connection.
        await content.CopyToAsync(body, offset, partial, _stats.AddDownloadBytes, context.RequestAborted);
        await FaultHelpers.FlushAndAbortAsync(context);
    }

    /// <summary>1 .. count-1 bytes, placed by <paramref name="fraction"/> (0..1).</summary>
    private static long PartOf(long count, double fraction) => Math.Clamp((long)(fraction * (count - 1)), 1, count - 1);

    /// <summary>If-Range with another validator means "send it all", per RFC 9110.</summary>
    private static bool RangeApplies(HttpRequest request, string etag)
    {
        if (string.IsNullOrEmpty(request.Headers.Range.ToString()))
        {
            return false;
        }
        var ifRange = request.Headers.IfRange.ToString();
        return ifRange.Length == 0 || string.Equals(ifRange, etag, StringComparison.Ordinal);
    }

    internal readonly record struct ByteRange(long Start, long End, bool Satisfiable);

    /// <summary>
    /// One "bytes=a-b", "a-" or "-n" range. Malformed or multi-range headers are ignored (null: whole object),
    /// as OSS does; a well-formed range outside the object is unsatisfiable.
    /// </summary>
    internal static ByteRange? ParseRange(string header, long length)
    {
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var spec = header[6..].Trim();
        if (spec.Contains(',', StringComparison.Ordinal))
        {
            return null;
        }
        var dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return null;
        }
        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        const NumberStyles digits = NumberStyles.None;
        if (first.Length == 0)
        {
            if (!long.TryParse(last, digits, CultureInfo.InvariantCulture, out var suffix))
            {
                return null;
            }
            if (suffix == 0 || length == 0)
            {
                return new ByteRange(0, 0, false);
            }
            return new ByteRange(Math.Max(0, length - suffix), length - 1, true);
        }
        if (!long.TryParse(first, digits, CultureInfo.InvariantCulture, out var start))
        {
            return null;
        }
        long end;
        if (last.Length == 0)
        {
            end = length - 1;
        }
        else if (!long.TryParse(last, digits, CultureInfo.InvariantCulture, out end) || end < start)
        {
            return null;
        }
        if (start >= length)
        {
            return new ByteRange(0, 0, false);
        }
        return new ByteRange(start, Math.Min(end, length - 1), true);
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string message, string requestId,
        params (string Name, string Value)[] extra)
    {
        var sb = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true };
        using (var writer = XmlWriter.Create(sb, settings))
        {
            writer.WriteStartElement("Error");
            writer.WriteElementString("Code", code);
            writer.WriteElementString("Message", message);
            writer.WriteElementString("RequestId", requestId);
            writer.WriteElementString("HostId", EmulatorDefaults.OssHostId);
            foreach (var (name, value) in extra)
            {
                writer.WriteElementString(name, value);
            }
            writer.WriteEndElement();
        }
        var body = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + sb + "\n");
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
    }
}
