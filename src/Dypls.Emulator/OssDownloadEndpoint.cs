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
    // The one link all downloads share when a total rate is set (--download-total-bytes-per-second).
    private static readonly BandwidthBudget SharedLink = new();

    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly RecordingCatalog _recordings;
    private readonly CancellationToken _stopping;
    private readonly ServedRecordings? _served;

    /// <param name="stopping">Fires when the server stops, so stalled bodies let go.</param>
    /// <param name="served">Where whole, intact bodies are recorded per CallId (for mnsDeletesBeforeServed).</param>
    public OssDownloadEndpoint(EmulatorOptions options, EmulatorStats stats, RecordingCatalog recordings, CancellationToken stopping,
        ServedRecordings? served = null)
    {
        _options = options;
        _stats = stats;
        _recordings = recordings;
        _stopping = stopping;
        _served = served;
    }

    public Task HandleAsync(HttpContext context) => CountOpenAsync(() => HandleBucketAsync(context));

    /// <summary>Counts a download as open (for maxConcurrentDownloads) while <paramref name="handle"/> runs.</summary>
    private async Task CountOpenAsync(Func<Task> handle)
    {
        _stats.DownloadStarted();
        try
        {
            await handle();
        }
        finally
        {
            _stats.DownloadEnded();
        }
    }

    private async Task HandleBucketAsync(HttpContext context)
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

        await ServeAsync(context, callId, "audio/mpeg", fault, fraction, requestId);
    }

    /// <summary>
    /// GET|HEAD /_emulator/object/&lt;any name&gt;?CallId=…&amp;contentType=…: a test hook that serves a CallId's bytes at any
    /// object name (its extension is ignored), with the chosen Content-Type (default audio/mpeg). No signature or expiry
    /// check; Range, If-Range, ETag and the download faults behave as on the bucket. Counted as a download too.
    /// </summary>
    public Task HandleObjectHookAsync(HttpContext context) => CountOpenAsync(() => HandleHookAsync(context));

    private async Task HandleHookAsync(HttpContext context)
    {
        _stats.DownloadRequest();
        _stats.ObjectHookRequest();
        var requestId = Guid.NewGuid().ToString("N").ToUpperInvariant()[..24];
        context.Response.Headers["x-oss-request-id"] = requestId;
        context.Response.Headers["Server"] = "AliyunOSS";
        var fault = _options.Faults.NextDownloadFault(out var fraction);
        var latency = _options.DownloadLatencyMs;
        if (latency > 0)
        {
            await Task.Delay(latency, context.RequestAborted);
        }
        var callId = context.Request.Query["CallId"].ToString();
        if (callId.Length == 0)
        {
            await WriteErrorAsync(context, 404, "NoSuchKey", "The specified key does not exist (the hook needs ?CallId=).", requestId,
                ("Key", context.Request.Path.Value ?? string.Empty));
            return;
        }
        var contentType = context.Request.Query["contentType"].ToString();
        await ServeAsync(context, callId, contentType.Length == 0 ? "audio/mpeg" : contentType, fault, fraction, requestId);
    }

    /// <summary>The object's answer once the URL checks passed: headers, Range/If-Range, then the body and its faults.</summary>
    private async Task ServeAsync(HttpContext context, string callId, string contentType, DownloadFault fault, double fraction, string requestId)
    {
        var request = context.Request;
        var response = context.Response;
        var faults = _options.Faults;
        var isHead = HttpMethods.IsHead(request.Method);
        if (isHead && fault is not (DownloadFault.InternalError or DownloadFault.ServiceUnavailable))
        {
            // HEAD has no body to break: only the 5xx kinds apply to it.
            fault = DownloadFault.None;
        }

        var content = _recordings.Get(callId, _options);
        var length = content.Length;
        var etag = _recordings.ETagOf(content);

        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = etag;
        response.Headers.LastModified = content.LastModified.ToString("R", CultureInfo.InvariantCulture);
        response.Headers["x-oss-object-type"] = "Normal";
        response.Headers["x-oss-storage-class"] = "Standard";

        long offset = 0, count = length;
        var status = 200;
        if (RangeApplies(request, etag, content.LastModified))
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
        else if (!string.IsNullOrEmpty(request.Headers.Range.ToString()) && !string.IsNullOrEmpty(request.Headers.IfRange.ToString()))
        {
            // The object changed since the client's partial copy: OSS ignores Range and sends all of it (200).
            _stats.IfRangeMismatch();
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
        if (fault == DownloadFault.Endless403)
        {
            _stats.FaultInjected(FaultKind.DownloadEndless403);
            foreach (var header in new[] { HeaderNames.ContentRange, HeaderNames.ETag, HeaderNames.LastModified, HeaderNames.AcceptRanges,
                         "x-oss-object-type", "x-oss-storage-class" })
            {
                response.Headers.Remove(header);
            }
            await WriteEndlessErrorAsync(context, 403, "AccessDenied", "You have no right to access this object because of bucket acl.", requestId);
            return;
        }

        response.StatusCode = status;
        response.ContentType = contentType;
        response.ContentLength = count;
        if (isHead)
        {
            return;
        }
        await response.StartAsync(context.RequestAborted);

        if (fault == DownloadFault.HeaderStall)
        {
            // Headers only: not one body byte, then nothing until the client gives up.
            _stats.FaultInjected(FaultKind.DownloadHeaderStall);
            await response.Body.FlushAsync(context.RequestAborted);
            await FaultHelpers.StallAsync(context, _stopping);
            return;
        }

        var bytesPerSecond = faults.DownloadSlowBytesPerSecond;
        var totalBytesPerSecond = faults.DownloadTotalBytesPerSecond;
        Stream body = bytesPerSecond > 0 || totalBytesPerSecond > 0
            ? new ThrottledStream(response.Body, bytesPerSecond, SharedLink, totalBytesPerSecond)
            : response.Body;

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
            await content.CopyToAsync(body, offset, count >= 2 ? PartOf(count, fraction) : 0, CountInterrupted, context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            await FaultHelpers.StallAsync(context, _stopping);
            return;
        }
        else
        {
            var corrupt = count >= 1 && (fault == DownloadFault.Corrupt || faults.TakeCorrupt());
            if (corrupt)
            {
                // The right length, one wrong byte (in the middle of what this answer sends): only the MD5 can tell.
                _stats.FaultInjected(FaultKind.DownloadCorrupt);
                body = new CorruptingStream(body, count / 2);
            }
            await content.CopyToAsync(body, offset, count, _stats.AddDownloadBytes, context.RequestAborted);
            if (!corrupt)
            {
                // Flushed first: bytes still in a buffer have not reached the client.
                await body.FlushAsync(context.RequestAborted);
                _served?.Add(callId, offset, count, length);
            }
            return;
        }

        // A body cut off mid-way (cut budget or truncate rate): send part of it, then drop the connection.
        await content.CopyToAsync(body, offset, partial, CountInterrupted, context.RequestAborted);
        await FaultHelpers.FlushAndAbortAsync(context);
    }

    /// <summary>Bytes of an answer that is cut off on purpose: counted in downloadBytes and interruptedDownloadBytes.</summary>
    private void CountInterrupted(long n)
    {
        _stats.AddDownloadBytes(n);
        _stats.AddInterruptedDownloadBytes(n);
    }

    /// <summary>1 .. count-1 bytes, placed by <paramref name="fraction"/> (0..1).</summary>
    private static long PartOf(long count, double fraction) => Math.Clamp((long)(fraction * (count - 1)), 1, count - 1);

    /// <summary>
    /// Whether Range applies. If-Range holding anything but the current strong ETag or the exact Last-Modified date
    /// means "send it all", per RFC 9110 and as OSS does (a weak ETag never matches).
    /// </summary>
    internal static bool RangeApplies(HttpRequest request, string etag, DateTimeOffset lastModified)
    {
        if (string.IsNullOrEmpty(request.Headers.Range.ToString()))
        {
            return false;
        }
        var ifRange = request.Headers.IfRange.ToString().Trim();
        if (ifRange.Length == 0)
        {
            return true;
        }
        if (ifRange.StartsWith('"'))
        {
            return string.Equals(ifRange, etag, StringComparison.Ordinal);
        }
        if (ifRange.StartsWith("W/", StringComparison.Ordinal))
        {
            return false;
        }
        return DateTimeOffset.TryParseExact(ifRange, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) &&
               date == lastModified;
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

    private static byte[] ErrorBody(string code, string message, string requestId, params (string Name, string Value)[] extra)
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
        return Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + sb + "\n");
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string message, string requestId,
        params (string Name, string Value)[] extra)
    {
        var body = ErrorBody(code, message, requestId, extra);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = body.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(body, context.RequestAborted);
        }
    }

    /// <summary>
    /// The status, headers and the start of an OSS XML error body (up to the Code) whose Content-Length promises the
    /// rest, which never comes: the endless-403 fault.
    /// </summary>
    private async Task WriteEndlessErrorAsync(HttpContext context, int status, string code, string message, string requestId)
    {
        var body = ErrorBody(code, message, requestId);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/xml";
        context.Response.ContentLength = body.Length;
        var cut = Encoding.UTF8.GetString(body).IndexOf("<Code>", StringComparison.Ordinal);
        await context.Response.Body.WriteAsync(body.AsMemory(0, Math.Max(1, cut)), context.RequestAborted);
        await context.Response.Body.FlushAsync(context.RequestAborted);
        await FaultHelpers.StallAsync(context, _stopping);
    }

    /// <summary>Passes bytes through, flipping every bit of the one at position <c>at</c> (counted from the first byte written).</summary>
    private sealed class CorruptingStream : Stream
    {
        private readonly Stream _inner;
        private readonly long _at;
        private long _written;

        public CorruptingStream(Stream inner, long at)
        {
            _inner = inner;
            _at = at;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var start = _written;
            _written += buffer.Length;
            if (_at >= start && _at < _written)
            {
                var copy = buffer.ToArray();
                copy[_at - start] ^= 0xFF;
                buffer = copy;
            }
            await _inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
        public override void Flush() => _inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
