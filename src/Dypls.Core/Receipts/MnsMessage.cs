using System;

namespace Dypls.Receipts
{
    /// <summary>One message as BatchReceiveMessage returns it.</summary>
    internal sealed class MnsMessage
    {
        public string MessageId { get; set; } = string.Empty;
        public string ReceiptHandle { get; set; } = string.Empty;
        public string Body { get; set; } = string.Empty;
        public string? BodyMd5 { get; set; }
        public int DequeueCount { get; set; }
        public DateTimeOffset? EnqueuedAt { get; set; }

        /// <summary>When the message becomes visible again, on the local clock (the server's time shifted by its Date offset).</summary>
        public DateTimeOffset VisibleAgainAt { get; set; }

        /// <summary>The queue's visibility timeout as this delivery shows it (next visible time minus the receive).</summary>
        public TimeSpan Visibility { get; set; }
    }
}
