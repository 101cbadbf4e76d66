using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dypls.Emulator;

/// <summary>
/// One emulated MNS queue: messages move from visible to invisible on a receive for the VisibilityTimeout, get a new
/// receipt handle on every delivery (older handles go stale), and come back with a higher DequeueCount unless deleted.
/// </summary>
internal sealed class MnsQueue
{
    /// <summary>MNS's message priority when the sender sets none.</summary>
    public const int DefaultPriority = 8;

    private const string HandlePrefix = "1-";

    // Handles begin with bytes whose base64 is "+/+/", and their length leaves "==" padding, so every handle carries the
    // three characters (+ / =) a client must neither form-decode nor re-escape.
    private static readonly byte[] HandleMarker = [0xFB, 0xFF, 0xBF];
    private const int HandleRandomBytes = 16;

    private readonly object _gate = new();
    private readonly List<MnsMessage> _messages = new();
    private readonly Dictionary<string, MnsMessage> _byHandle = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();
    private long _deleted;
    private long _sequence;

    public MnsQueue(string name, string messageType)
    {
        Name = name;
        MessageType = messageType;
    }

    public string Name { get; }

    public string MessageType { get; }

    /// <summary>
    /// The message type a queue name carries: Alibaba names the default queues Alicom-Queue-&lt;uid&gt;-&lt;MessageType&gt;
    /// (sometimes with a further -suffix); any other name's type is its last dash-separated part.
    /// </summary>
    public static string MessageTypeOf(string queueName)
    {
        var parts = queueName.Split('-');
        if (parts.Length >= 4 && parts[0] == "Alicom" && parts[1] == "Queue")
        {
            return parts[3];
        }
        return parts[^1];
    }

    public MnsMessage Enqueue(string body, string? callId, DateTimeOffset now)
    {
        lock (_gate)
        {
            var sequence = ++_sequence;
            var enqueue = now.ToUnixTimeMilliseconds();
            // The shape of real ids (D2D1DEC96E4678D4-1-150A9598DE9-200000001): a queue part, the enqueue time in hex, a counter.
            var queuePart = Md5Hex(Name)[..16];
            var id = string.Create(CultureInfo.InvariantCulture, $"{queuePart}-1-{enqueue:X}-{200000000 + sequence}");
            var message = new MnsMessage(id, body, Md5Hex(body), enqueue, callId) { VisibleAt = now };
            _messages.Add(message);
            Signal();
            return message;
        }
    }

    /// <summary>Uppercase hex MD5 of the text's UTF-8 bytes (MessageBodyMD5).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "MNS defines MessageBodyMD5 as MD5.")]
    public static string Md5Hex(string text) => Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>
    /// Up to <paramref name="max"/> visible messages, oldest first, each made invisible for <paramref name="visibility"/>
    /// with a new handle. <paramref name="changed"/> completes at the next enqueue or visibility change, so a long poll
    /// that found nothing can wait for it without missing one that happens meanwhile.
    /// </summary>
    public List<(MnsDelivery Delivery, MnsMessage Message)> Receive(int max, TimeSpan visibility, DateTimeOffset now, out Task changed,
        out DateTimeOffset? nextVisible)
    {
        var delivered = new List<(MnsDelivery, MnsMessage)>();
        lock (_gate)
        {
            changed = _changed.Task;
            nextVisible = null;
            foreach (var message in _messages)
            {
                if (message.VisibleAt > now)
                {
                    if (nextVisible is null || message.VisibleAt < nextVisible)
                    {
                        nextVisible = message.VisibleAt;
                    }
                    continue;
                }
                if (delivered.Count == max)
                {
                    break;
                }
                message.DequeueCount++;
                message.FirstDequeueTime ??= now.ToUnixTimeMilliseconds();
                message.VisibleAt = now + visibility;
                var handle = Rehandle(message);
                delivered.Add((new MnsDelivery(message.MessageId, message.BodyMd5, message.Body, handle, message.EnqueueTime,
                    message.FirstDequeueTime.Value, message.VisibleAt.ToUnixTimeMilliseconds(), message.DequeueCount, DefaultPriority), message));
            }
        }
        return delivered;
    }

    /// <summary>DeleteMessage for one handle; the deleted message is returned when <see cref="MnsHandleOutcome.Applied"/>.</summary>
    public MnsHandleOutcome Delete(string handle, DateTimeOffset now, out MnsMessage? deleted)
    {
        deleted = null;
        if (!IsWellFormed(handle))
        {
            return MnsHandleOutcome.Malformed;
        }
        lock (_gate)
        {
            if (!TryCurrent(handle, now, out var message))
            {
                return MnsHandleOutcome.Stale;
            }
            _byHandle.Remove(handle);
            _messages.Remove(message);
            _deleted++;
            deleted = message;
            return MnsHandleOutcome.Applied;
        }
    }

    /// <summary>ChangeMessageVisibility: the message stays invisible for <paramref name="visibility"/> from now, under a new handle.</summary>
    public MnsHandleOutcome ChangeVisibility(string handle, TimeSpan visibility, DateTimeOffset now, out string? newHandle, out long nextVisibleTime)
    {
        newHandle = null;
        nextVisibleTime = 0;
        if (!IsWellFormed(handle))
        {
            return MnsHandleOutcome.Malformed;
        }
        lock (_gate)
        {
            if (!TryCurrent(handle, now, out var message))
            {
                return MnsHandleOutcome.Stale;
            }
            message.VisibleAt = now + visibility;
            newHandle = Rehandle(message);
            nextVisibleTime = message.VisibleAt.ToUnixTimeMilliseconds();
            // A shorter timeout may make the message visible sooner than a waiting long poll planned for.
            Signal();
            return MnsHandleOutcome.Applied;
        }
    }

    /// <summary>The state for GET /_emulator/queues/{name}.</summary>
    public MnsQueueState State(DateTimeOffset now)
    {
        lock (_gate)
        {
            var messages = _messages.Select(m => new MnsMessageState(m.MessageId, m.CallId, m.DequeueCount, m.VisibleAt <= now)).ToList();
            var visible = messages.Count(m => m.Visible);
            return new MnsQueueState(Name, MessageType, visible, messages.Count - visible, messages.Count, _deleted, messages);
        }
    }

    /// <summary>
    /// Only the message's latest handle (older ones left the index when it was issued), and only while the message is
    /// invisible, is honoured.
    /// </summary>
    private bool TryCurrent(string handle, DateTimeOffset now, out MnsMessage message)
    {
        if (_byHandle.TryGetValue(handle, out message!) && message.VisibleAt > now)
        {
            return true;
        }
        return false;
    }

    private string Rehandle(MnsMessage message)
    {
        if (message.CurrentHandle is { } old)
        {
            _byHandle.Remove(old);
        }
        var bytes = new byte[HandleMarker.Length + HandleRandomBytes];
        HandleMarker.CopyTo(bytes, 0);
        RandomNumberGenerator.Fill(bytes.AsSpan(HandleMarker.Length));
        var handle = HandlePrefix + Convert.ToBase64String(bytes);
        message.CurrentHandle = handle;
        _byHandle[handle] = message;
        return handle;
    }

    /// <summary>Whether the text has the form of this emulator's handles ("1-" and base64 of the marker and 16 bytes).</summary>
    public static bool IsWellFormed(string handle)
    {
        if (!handle.StartsWith(HandlePrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var buffer = new byte[HandleMarker.Length + HandleRandomBytes + 2];
        return Convert.TryFromBase64String(handle[HandlePrefix.Length..], buffer, out var written) &&
               written == HandleMarker.Length + HandleRandomBytes &&
               buffer.AsSpan(0, HandleMarker.Length).SequenceEqual(HandleMarker);
    }

    private void Signal()
    {
        _changed.TrySetResult();
        _changed = NewSignal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
