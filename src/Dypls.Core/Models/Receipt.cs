using System;
using System.Collections.Generic;

namespace Dypls.Models
{
    /// <summary>
    /// Output of Receive-DyplsReceipt: one receipt (one record of a queue message). It binds by property name into
    /// Save-DyplsRecording and Get-DyplsRecordUrl. Save-DyplsRecording deletes it from its queue once its recording is
    /// durable; Complete-DyplsReceipt deletes it for other consumers.
    /// </summary>
    public sealed class Receipt
    {
        /// <summary>SecretRecording or SecretReport.</summary>
        public string MessageType { get; internal set; } = string.Empty;

        public string CallId { get; internal set; } = string.Empty;

        /// <summary>When the call started, at the Beijing offset (UTC+8); null when the body has no readable call_time.</summary>
        public DateTimeOffset? CallTime { get; internal set; }

        public string PoolKey { get; internal set; } = string.Empty;

        /// <summary>The binding (sub_id, or subs_id in older bodies).</summary>
        public long? SubId { get; internal set; }

        /// <summary>The external business ID given at binding time (out_id).</summary>
        public string? OutId { get; internal set; }

        /// <summary>SecretReport only: the record_url, a download URL of the recording (a bearer credential until ExpiresAt).</summary>
        public string? Url { get; internal set; }

        /// <summary>SecretReport only: when <see cref="Url"/> stops working, when the URL says so.</summary>
        public DateTimeOffset? ExpiresAt { get; internal set; }

        /// <summary>Every field of the JSON body, by its name in the body (numbers, text and true/false as such).</summary>
        public IReadOnlyDictionary<string, object?> Fields { get; internal set; } = new Dictionary<string, object?>();

        /// <summary>The JSON body as received (decoded from base64).</summary>
        public string Body { get; internal set; } = string.Empty;

        public string QueueName { get; internal set; } = string.Empty;

        public string MessageId { get; internal set; } = string.Empty;

        /// <summary>How often the queue has delivered this message, this delivery included.</summary>
        public int DequeueCount { get; internal set; }

        public DateTimeOffset? EnqueuedAt { get; internal set; }

        /// <summary>The receipt handle that deletes the message now; it changes when the visibility is extended.</summary>
        public string ReceiptHandle => Lease?.Handle ?? _handle;

        private readonly string _handle = string.Empty;

        internal Receipt() { }

        internal Receipt(string handle) { _handle = handle; }

        /// <summary>The live link to the queue the receipt came from; null for a receipt made from other input.</summary>
        internal Receipts.ReceiptLease? Lease { get; set; }

        // 0: handed out; 1: a consumer took it on (Save-DyplsRecording, Complete-DyplsReceipt); 2: settled; 3: released
        // because no consumer took it on while it was handed out (kept in a variable, say): it may still be taken on later.
        private int _state;

        /// <summary>A consumer takes the receipt on and settles it later; false when it is taken or settled already.</summary>
        internal bool TryClaim()
        {
            if (System.Threading.Interlocked.CompareExchange(ref _state, 1, 0) == 0) return true;
            if (System.Threading.Interlocked.CompareExchange(ref _state, 1, 3) != 3) return false;
            Lease?.Reclaimed();
            return true;
        }

        /// <summary>Settles the receipt once: durable (its message may leave the queue) or released (it comes back).</summary>
        internal bool Settle(bool durable)
        {
            var was = System.Threading.Interlocked.Exchange(ref _state, 2);
            if (was == 2) return false;
            if (was == 3 && !durable) return true;
            if (was == 3) Lease?.Reclaimed();
            Lease?.RecordSettled(durable);
            return true;
        }

        /// <summary>Releases the receipt if no consumer took it on (it was only displayed, filtered out, or kept).</summary>
        internal void ReleaseIfUnclaimed()
        {
            if (System.Threading.Interlocked.CompareExchange(ref _state, 3, 0) == 0) Lease?.RecordSettled(false);
        }

        public override string ToString() => $"{MessageType} {CallId} {(CallTime is DateTimeOffset t ? Time.CallTime.Format(t) : "")}";
    }
}
