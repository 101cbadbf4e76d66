using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Dypls.Emulator;

/// <summary>
/// GET|DELETE|PUT /queues/{queue}/messages: the MNS 2015-06-06 queue API as the alicom receipt consumers use it
/// (ReceiveMessage, BatchReceiveMessage, DeleteMessage, BatchDeleteMessage, ChangeMessageVisibility), signed with
/// the STS keys QueryTokenForMnsQueue hands out.
/// </summary>
internal sealed partial class MnsEndpoint
{
    private const int MaxBatch = 16;
    private const int MaxWaitSeconds = 30;
    private const int MaxVisibilityTimeout = 43200;

    /// <summary>MNS refuses a Date more than 15 minutes from its clock.</summary>
    private static readonly TimeSpan DateWindow = TimeSpan.FromMinutes(15);

    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly MnsTokenStore _tokens;
    private readonly MnsQueueRegistry _queues;
    private readonly ServedRecordings _served;
    private readonly CancellationToken _stopping;

    /// <param name="stopping">Fires when the server stops, so long polls and slow answers let go.</param>
    public MnsEndpoint(EmulatorOptions options, EmulatorStats stats, MnsTokenStore tokens, MnsQueueRegistry queues, ServedRecordings served,
        CancellationToken stopping)
    {
        _options = options;
        _stats = stats;
        _tokens = tokens;
        _queues = queues;
        _served = served;
        _stopping = stopping;
    }

    [GeneratedRegex("^MNS ([^:]+):(.+)$")]
    private static partial Regex AuthorizationPattern();

    public async Task HandleAsync(HttpContext context)
    {
        _stats.MnsRequest();
        var requestId = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        var response = context.Response;
        response.Headers["x-mns-request-id"] = requestId;
        response.Headers["x-mns-version"] = EmulatorDefaults.MnsVersion;
        response.Headers.Server = "AliyunMNS";

        // One roll per MNS request, on arrival (see EmulatorFaults on determinism).
        switch (_options.Faults.NextMnsFault())
        {
            case MnsFault.Reset:
                _stats.FaultInjected(FaultKind.MnsReset);
                context.Abort();
                return;
            case MnsFault.InternalError:
                _stats.FaultInjected(FaultKind.Mns5xx);
                await WriteErrorAsync(context, MnsError.InternalError(), requestId);
                return;
            case MnsFault.Slow:
                _stats.FaultInjected(FaultKind.MnsSlow);
                if (!await DelayAsync(TimeSpan.FromMilliseconds(Math.Max(0, _options.Faults.MnsSlowMs)), context.RequestAborted))
                {
                    return;
                }
                break;
        }

        var rawTarget = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? (context.Request.Path + context.Request.QueryString).ToString();
        var target = MnsRequestTarget.Parse(rawTarget);
        var now = DateTimeOffset.UtcNow;
        var (error, token) = Authenticate(context.Request, target, now);
        if (error is not null)
        {
            await WriteErrorAsync(context, error, requestId);
            return;
        }
        var queueName = target.QueueName!;
        if (string.Equals(_options.Faults.MnsDeniedQueue, queueName, StringComparison.Ordinal) || !token!.Allows(queueName))
        {
            await WriteErrorAsync(context, MnsError.AccessDenied(), requestId);
            return;
        }
        var queue = _queues.Find(queueName);
        if (queue is null)
        {
            await WriteErrorAsync(context, MnsError.QueueNotExist(), requestId);
            return;
        }

        var method = context.Request.Method;
        if (HttpMethods.IsGet(method))
        {
            await ReceiveAsync(context, queue, target, requestId);
        }
        else if (HttpMethods.IsDelete(method))
        {
            _stats.MnsDeleteRequest();
            if (target["ReceiptHandle"] is { } handle)
            {
                if (handle.Length == 0)
                {
                    await WriteErrorAsync(context, MnsError.MissingReceiptHandle(), requestId);
                    return;
                }
                await DeleteAsync(context, queue, handle, requestId);
            }
            else
            {
                await BatchDeleteAsync(context, queue, requestId);
            }
        }
        else
        {
            await ChangeVisibilityAsync(context, queue, target, requestId);
        }
    }

    /// <summary>§3.4 of the receipts notes: Authorization, Date, the key, the signature over the raw request, then the STS token.</summary>
    private (MnsError? Error, MnsToken? Token) Authenticate(HttpRequest request, MnsRequestTarget target, DateTimeOffset now)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.Length == 0)
        {
            return (MnsError.MissingAuthorization(), null);
        }
        var match = AuthorizationPattern().Match(authorization);
        if (!match.Success)
        {
            return (MnsError.InvalidAuthorization(), null);
        }
        // The DATE line holds x-mns-date's value when Date is absent.
        var date = request.Headers.Date.ToString();
        if (date.Length == 0)
        {
            date = request.Headers["x-mns-date"].ToString();
        }
        if (date.Length == 0)
        {
            return (MnsError.MissingDate(), null);
        }
        if (!DateTimeOffset.TryParseExact(date, "R", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var sent))
        {
            return (MnsError.InvalidDate(), null);
        }
        if ((sent - now).Duration() > DateWindow)
        {
            return (MnsError.TimeExpired(), null);
        }
        var version = request.Headers["x-mns-version"].ToString();
        if (version.Length == 0)
        {
            return (MnsError.MissingVersion(), null);
        }
        if (version != EmulatorDefaults.MnsVersion)
        {
            return (MnsError.InvalidVersion(), null);
        }

        var token = _tokens.Find(match.Groups[1].Value);
        if (token is null)
        {
            return (MnsError.InvalidAccessKeyId(), null);
        }
        var mnsHeaders = request.Headers
            .Where(h => h.Key.StartsWith("x-mns-", StringComparison.OrdinalIgnoreCase))
            .Select(h => new KeyValuePair<string, string>(h.Key, h.Value.ToString()));
        var stringToSign = MnsSignature.StringToSign(request.Method, request.Headers["Content-MD5"].ToString(), request.Headers.ContentType.ToString(),
            date, mnsHeaders, target.Resource);
        if (!FixedTimeEquals(MnsSignature.Sign(token.AccessKeySecret, stringToSign), match.Groups[2].Value))
        {
            _stats.MnsSignatureFailure();
            return (MnsError.SignatureDoesNotMatch(stringToSign), null);
        }
        // security-token is not signed (it is not an x-mns- header); it must still be the one minted with the key.
        if (!FixedTimeEquals(request.Headers["security-token"].ToString(), token.SecurityToken))
        {
            return (MnsError.SecurityTokenInvalid(), null);
        }
        if (token.Expiration <= now)
        {
            return (MnsError.SecurityTokenExpired(), null);
        }
        if (target.QueueName is null)
        {
            return (MnsError.QueueNotExist(), null);
        }
        return (null, token);
    }

    private async Task ReceiveAsync(HttpContext context, MnsQueue queue, MnsRequestTarget target, string requestId)
    {
        var batch = target["numOfMessages"];
        var max = 1;
        if (batch is not null && (!int.TryParse(batch, NumberStyles.None, CultureInfo.InvariantCulture, out max) || max is < 1 or > MaxBatch))
        {
            await WriteErrorAsync(context, MnsError.InvalidArgument("The value of numOfMessages should between 1 and 16."), requestId);
            return;
        }
        var waitText = target["waitseconds"];
        var wait = _options.PollingWaitSeconds;
        if (waitText is not null && (!int.TryParse(waitText, NumberStyles.None, CultureInfo.InvariantCulture, out wait) || wait > MaxWaitSeconds))
        {
            await WriteErrorAsync(context, MnsError.InvalidArgument("The value of waitseconds should between 0 and 30 seconds."), requestId);
            return;
        }
        _stats.MnsReceive();
        var visibility = TimeSpan.FromSeconds(Math.Clamp(_options.VisibilityTimeoutSeconds, 1, MaxVisibilityTimeout));
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(Math.Clamp(wait, 0, MaxWaitSeconds));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stopping);
        while (true)
        {
            var now = DateTimeOffset.UtcNow;
            var delivered = queue.Receive(max, visibility, now, out var changed, out var nextVisible);
            if (delivered.Count > 0)
            {
                foreach (var (delivery, _) in delivered)
                {
                    _stats.MnsMessageReceived(delivery.DequeueCount > 1);
                }
                await WriteXmlAsync(context, 200, Messages(delivered.Select(d => d.Delivery).ToList(), batch is not null));
                return;
            }
            var left = deadline - now;
            if (left <= TimeSpan.Zero || linked.IsCancellationRequested)
            {
                break;
            }
            // Long polling: until a message is enqueued or changes visibility, an in-flight one comes back, or the wait ends.
            if (nextVisible is { } back && back - now < left)
            {
                left = back - now + TimeSpan.FromMilliseconds(5);
            }
            // WhenAny never throws: a cancelled delay (client gone, server stopping) just ends this round.
            await Task.WhenAny(changed, Task.Delay(left, linked.Token));
        }
        if (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        await WriteErrorAsync(context, MnsError.MessageNotExist(), requestId);
    }

    private static XElement Messages(List<MnsDelivery> deliveries, bool batch)
    {
        XNamespace ns = EmulatorDefaults.MnsNamespace;
        XElement MessageElement(MnsDelivery d) => new(ns + "Message",
            new XElement(ns + "MessageId", d.MessageId),
            new XElement(ns + "ReceiptHandle", d.ReceiptHandle),
            new XElement(ns + "MessageBodyMD5", d.BodyMd5),
            new XElement(ns + "MessageBody", d.Body),
            new XElement(ns + "EnqueueTime", d.EnqueueTime),
            new XElement(ns + "NextVisibleTime", d.NextVisibleTime),
            new XElement(ns + "FirstDequeueTime", d.FirstDequeueTime),
            new XElement(ns + "DequeueCount", d.DequeueCount),
            new XElement(ns + "Priority", d.Priority));
        return batch ? new XElement(ns + "Messages", deliveries.Select(MessageElement)) : MessageElement(deliveries[0]);
    }

    private async Task DeleteAsync(HttpContext context, MnsQueue queue, string handle, string requestId)
    {
        var outcome = Delete(queue, handle);
        if (outcome == MnsHandleOutcome.Applied)
        {
            context.Response.StatusCode = 204;
            return;
        }
        await WriteErrorAsync(context, outcome == MnsHandleOutcome.Malformed ? MnsError.ReceiptHandleError() : MnsError.MessageNotExist(), requestId);
    }

    /// <summary>One handle deleted, counted, and checked against what the OSS endpoint has served of its recording.</summary>
    private MnsHandleOutcome Delete(MnsQueue queue, string handle)
    {
        var outcome = queue.Delete(handle, DateTimeOffset.UtcNow, out var deleted);
        if (outcome == MnsHandleOutcome.Applied)
        {
            _stats.MnsDelete();
            // A receipt deleted before its recording went out whole is a receipt whose recording the client cannot have
            // saved. Poison receipts (norecord…) have no recording to serve.
            if (deleted!.CallId is { } callId && !callId.StartsWith("norecord", StringComparison.OrdinalIgnoreCase) && !_served.IsComplete(callId))
            {
                _stats.MnsDeleteBeforeServed();
            }
        }
        return outcome;
    }

    private async Task BatchDeleteAsync(HttpContext context, MnsQueue queue, string requestId)
    {
        string body;
        using (var reader = new StreamReader(context.Request.Body, Encoding.UTF8))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }
        if (body.Trim().Length == 0)
        {
            await WriteErrorAsync(context, MnsError.MissingReceiptHandle(), requestId);
            return;
        }
        List<string> handles;
        try
        {
            var root = XDocument.Parse(body).Root!;
            if (root.Name.LocalName != "ReceiptHandles")
            {
                throw new XmlException("The root must be ReceiptHandles.");
            }
            // Local names only: clients send the namespace with or without its trailing slash.
            handles = root.Elements().Where(e => e.Name.LocalName == "ReceiptHandle").Select(e => e.Value.Trim()).ToList();
        }
        catch (XmlException)
        {
            await WriteErrorAsync(context, MnsError.MalformedXml(), requestId);
            return;
        }
        if (handles.Count == 0)
        {
            await WriteErrorAsync(context, MnsError.MissingReceiptHandle(), requestId);
            return;
        }
        if (handles.Count > MaxBatch)
        {
            await WriteErrorAsync(context, MnsError.InvalidArgument("The count of receipt handles should between 1 and 16."), requestId);
            return;
        }
        XNamespace ns = EmulatorDefaults.MnsNamespace;
        var failures = new List<XElement>();
        foreach (var handle in handles)
        {
            var outcome = Delete(queue, handle);
            if (outcome != MnsHandleOutcome.Applied)
            {
                var error = outcome == MnsHandleOutcome.Malformed ? MnsError.ReceiptHandleError() : MnsError.MessageNotExist();
                failures.Add(new XElement(ns + "Error",
                    new XElement(ns + "ErrorCode", error.Code),
                    new XElement(ns + "ErrorMessage", error.Message),
                    new XElement(ns + "ReceiptHandle", handle)));
            }
        }
        if (failures.Count == 0)
        {
            context.Response.StatusCode = 204;
            return;
        }
        await WriteXmlAsync(context, 404, new XElement(ns + "Errors", failures));
    }

    private async Task ChangeVisibilityAsync(HttpContext context, MnsQueue queue, MnsRequestTarget target, string requestId)
    {
        var handle = target["receiptHandle"];
        if (string.IsNullOrEmpty(handle))
        {
            await WriteErrorAsync(context, MnsError.MissingReceiptHandle(), requestId);
            return;
        }
        var timeoutText = target["visibilityTimeout"];
        if (string.IsNullOrEmpty(timeoutText))
        {
            await WriteErrorAsync(context, MnsError.MissingVisibilityTimeout(), requestId);
            return;
        }
        if (!int.TryParse(timeoutText, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds is < 1 or > MaxVisibilityTimeout)
        {
            await WriteErrorAsync(context, MnsError.InvalidArgument("The value of VisibilityTimeout should between 1 and 43200 seconds."), requestId);
            return;
        }
        var outcome = queue.ChangeVisibility(handle, TimeSpan.FromSeconds(seconds), DateTimeOffset.UtcNow, out var newHandle, out var nextVisible);
        if (outcome != MnsHandleOutcome.Applied)
        {
            await WriteErrorAsync(context, outcome == MnsHandleOutcome.Malformed ? MnsError.ReceiptHandleError() : MnsError.MessageNotExist(), requestId);
            return;
        }
        _stats.MnsVisibilityChanged();
        XNamespace ns = EmulatorDefaults.MnsNamespace;
        await WriteXmlAsync(context, 200, new XElement(ns + "ChangeVisibility",
            new XElement(ns + "ReceiptHandle", newHandle),
            new XElement(ns + "NextVisibleTime", nextVisible)));
    }

    /// <summary>False when the client left (or the server stopped) before the delay ended.</summary>
    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken aborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(aborted, _stopping);
        try
        {
            await Task.Delay(delay, linked.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return !aborted.IsCancellationRequested;
        }
    }

    private static Task WriteErrorAsync(HttpContext context, MnsError error, string requestId)
    {
        XNamespace ns = EmulatorDefaults.MnsErrorNamespace;
        return WriteXmlAsync(context, error.StatusCode, new XElement(ns + "Error",
            new XElement(ns + "Code", error.Code),
            new XElement(ns + "Message", error.Message),
            new XElement(ns + "RequestId", requestId),
            new XElement(ns + "HostId", EmulatorDefaults.MnsHostId)));
    }

    private static async Task WriteXmlAsync(HttpContext context, int status, XElement root)
    {
        var body = Encoding.UTF8.GetBytes("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + root.ToString(SaveOptions.DisableFormatting));
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/xml;charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
