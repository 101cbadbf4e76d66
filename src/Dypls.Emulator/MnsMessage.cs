namespace Dypls.Emulator;

/// <summary>
/// One message of an emulated queue, with the state MNS keeps for it. Changed only under its queue's lock.
/// </summary>
internal sealed class MnsMessage
{
    public MnsMessage(string messageId, string body, string bodyMd5, long enqueueTime, string? callId)
    {
        MessageId = messageId;
        Body = body;
        BodyMd5 = bodyMd5;
        EnqueueTime = enqueueTime;
        CallId = callId;
    }

    public string MessageId { get; }

    /// <summary>The MessageBody text as sent on the wire (base64 of the UTF-8 JSON of a receipt).</summary>
    public string Body { get; }

    /// <summary>Uppercase hex MD5 of <see cref="Body"/> as transmitted (of the base64 text, not of what it decodes to).</summary>
    public string BodyMd5 { get; }

    /// <summary>Epoch milliseconds.</summary>
    public long EnqueueTime { get; }

    /// <summary>The receipt's call_id when its body has one; the emulator's bookkeeping, not part of the MNS answer.</summary>
    public string? CallId { get; }

    public long? FirstDequeueTime { get; set; }

    public int DequeueCount { get; set; }

    /// <summary>When the message is visible (receivable) again; before the first receive, its enqueue time.</summary>
    public DateTimeOffset VisibleAt { get; set; }

    /// <summary>The one receipt handle that may delete it or change its visibility; null until it is received.</summary>
    public string? CurrentHandle { get; set; }
}
