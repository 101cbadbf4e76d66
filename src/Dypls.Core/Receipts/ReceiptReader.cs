using System;
using System.Collections.Generic;
using System.Globalization;
using Dypls.Api;
using Dypls.Models;

namespace Dypls.Receipts
{
    /// <summary>
    /// Turns a queue message (or a pushed record) into receipts. A SecretRecording's call_time is epoch milliseconds and a
    /// SecretReport's is Beijing text; both become the same instant, which the API call renders as Beijing text again. A
    /// body that cannot be read still becomes a receipt (with no CallId), so that it fails its row and reaches the
    /// dead-letter file instead of coming back forever.
    /// </summary>
    internal static class ReceiptReader
    {
        public const string SecretRecording = "SecretRecording";
        public const string SecretReport = "SecretReport";

        public static readonly string[] MessageTypes = { SecretRecording, SecretReport };

        /// <summary>The message type a queue name ends in (Alicom-Queue-&lt;uid&gt;-SecretRecording), or null.</summary>
        public static string? MessageTypeOf(string queueName)
        {
            foreach (var type in MessageTypes)
            {
                if (queueName.EndsWith("-" + type, StringComparison.OrdinalIgnoreCase)) return type;
                // Queues made in the console may carry a suffix after the type (Alicom-Queue-<uid>-SecretReport-100000).
                if (queueName.IndexOf("-" + type + "-", StringComparison.OrdinalIgnoreCase) >= 0) return type;
            }
            return null;
        }

        public static List<Receipt> Read(MnsMessage message, string messageType, string queueName, ReceiptLedger? ledger)
        {
            var receipts = new List<Receipt>();
            var json = ReceiptBody.Decode(message.Body);
            var records = json is null ? new List<ReceiptRecord>() : ReceiptBody.Records(json);
            var lease = ledger?.Track(message, Math.Max(1, records.Count));
            if (records.Count == 0)
            {
                receipts.Add(new Receipt(message.ReceiptHandle)
                {
                    MessageType = messageType,
                    Body = json ?? message.Body,
                    QueueName = queueName,
                    MessageId = message.MessageId,
                    DequeueCount = message.DequeueCount,
                    EnqueuedAt = message.EnqueuedAt,
                    Lease = lease,
                });
                return receipts;
            }
            foreach (var record in records)
            {
                var receipt = FromRecord(record, messageType, message.ReceiptHandle);
                receipt.QueueName = queueName;
                receipt.MessageId = message.MessageId;
                receipt.DequeueCount = message.DequeueCount;
                receipt.EnqueuedAt = message.EnqueuedAt;
                receipt.Lease = lease;
                receipts.Add(receipt);
            }
            return receipts;
        }

        /// <summary>A receipt from one record's fields.</summary>
        public static Receipt FromRecord(ReceiptRecord record, string messageType, string handle = "")
        {
            var receipt = new Receipt(handle)
            {
                MessageType = messageType,
                CallId = (record.Text("call_id") ?? string.Empty).Trim(),
                PoolKey = (record.Text("pool_key") ?? string.Empty).Trim(),
                OutId = record.Text("out_id"),
                SubId = Long(record.Text("sub_id")) ?? Long(record.Text("subs_id")),
                Fields = record.Fields,
                Body = record.Json,
            };
            record.Fields.TryGetValue("call_time", out var callTime);
            try
            {
                if (callTime != null) receipt.CallTime = Time.CallTime.ToBeijing(callTime);
            }
            catch (DyplsException)
            {
                // Left null: its row then fails with InvalidCallTime, with the receipt as its target.
            }
            var url = record.Text("record_url");
            if (!string.IsNullOrWhiteSpace(url))
            {
                receipt.Url = url!.Trim();
                receipt.ExpiresAt = RecordFileUrl.ReadExpires(receipt.Url);
            }
            return receipt;
        }

        private static long? Long(string? text) =>
            long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) ? v : (long?)null;
    }
}
