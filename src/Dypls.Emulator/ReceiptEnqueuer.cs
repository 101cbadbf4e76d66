namespace Dypls.Emulator;

/// <summary>
/// Puts receipts on the emulated queues (the --receipts pre-fill and POST /_emulator/queues/{name}) and remembers each
/// receipt's call_time for the gateway's CallTime check.
/// </summary>
internal sealed class ReceiptEnqueuer
{
    public const string DefaultCallIdPrefix = "receipt-";

    /// <summary>SecretReport's record_url stays valid 7 days, as the SecretReport documentation says.</summary>
    private static readonly TimeSpan RecordUrlLifetime = TimeSpan.FromDays(7);

    private readonly EmulatorOptions _options;
    private readonly ReceiptCallTimes _callTimes;
    private int _sequence;
    private int _receiptIndex;

    public ReceiptEnqueuer(EmulatorOptions options, ReceiptCallTimes callTimes)
    {
        _options = options;
        _callTimes = callTimes;
    }

    /// <summary>The start state: --receipts N SecretRecording receipts on the demo recording queue.</summary>
    public void Prefill(MnsQueueRegistry queues)
    {
        // The start state is the same every time: the numbering starts again, so a reset gives the same CallIds.
        Interlocked.Exchange(ref _sequence, 0);
        Interlocked.Exchange(ref _receiptIndex, 0);
        if (_options.Receipts > 0)
        {
            // No base URL is needed: SecretRecording receipts carry no URL.
            Enqueue(queues.GetOrCreate(EmulatorDefaults.RecordingQueue),
                new ReceiptRequest(_options.Receipts, DefaultCallIdPrefix, 0, 0, Array.Empty<string>(), null), "http://127.0.0.1/");
        }
    }

    /// <param name="baseUrl">Where SecretReport's record_url points (the address the caller reached the emulator by).</param>
    public ReceiptBatch Enqueue(MnsQueue queue, ReceiptRequest request, string baseUrl)
    {
        var type = request.MessageType ?? queue.MessageType;
        var now = DateTimeOffset.UtcNow;
        var messageIds = new List<string>();
        var callIds = new List<string?>();
        var generated = new List<(string Json, string CallId)>();

        void Put(string json, string? callId)
        {
            messageIds.Add(queue.Enqueue(ReceiptBodies.Encode(json), callId, DateTimeOffset.UtcNow).MessageId);
            callIds.Add(callId);
        }

        (string Json, string CallId) Make(string callId, int offset)
        {
            var index = Interlocked.Increment(ref _receiptIndex);
            // Calls a minute or more apart, ending a minute ago, with a millisecond part: a client that rounds instead of
            // truncating to the second gets a CallTime the gateway refuses.
            var callTime = now.ToUnixTimeMilliseconds() - (offset + 1) * 61_000L - 1 - (index * 137 % 998);
            _callTimes.Remember(callId, callTime);
            var json = type == ReceiptBodies.SecretReport
                ? ReceiptBodies.Report(callId, callTime, index, RecordUrl(baseUrl, callId, now))
                : ReceiptBodies.Recording(callId, callTime, index);
            return (json, callId);
        }

        for (var i = 0; i < request.Count; i++)
        {
            var receipt = Make(request.CallIdPrefix + NextNumber(), request.Count - 1 - i);
            generated.Add(receipt);
            Put(receipt.Json, receipt.CallId);
        }
        for (var i = 0; i < request.Duplicates && generated.Count > 0; i++)
        {
            // Alibaba may push a receipt twice; the copy is another message with the same body.
            var copy = generated[i % generated.Count];
            Put(copy.Json, copy.CallId);
        }
        for (var i = 0; i < request.NoRecording; i++)
        {
            var poison = Make("norecord-" + request.CallIdPrefix + NextNumber(), i);
            Put(poison.Json, poison.CallId);
        }
        foreach (var json in request.Bodies)
        {
            var (callId, callTime) = ReceiptBodies.Read(json);
            if (callId is not null && callTime is { } ms)
            {
                _callTimes.Remember(callId, ms);
            }
            Put(json, callId);
        }
        return new ReceiptBatch(queue.Name, type, messageIds, callIds);
    }

    private string NextNumber() => (Interlocked.Increment(ref _sequence) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);

    private static string RecordUrl(string baseUrl, string callId, DateTimeOffset now) =>
        DownloadUrlSigner.BuildUrl(baseUrl, DownloadUrlSigner.ObjectNameFor(callId, EmulatorDefaults.ReceiptPoolKey),
            (now + RecordUrlLifetime).ToUnixTimeSeconds());
}
