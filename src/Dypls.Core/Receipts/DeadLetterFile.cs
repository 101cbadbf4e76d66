using System;
using System.IO;
using System.Text;
using System.Text.Json;
using Dypls.Models;

namespace Dypls.Receipts
{
    /// <summary>
    /// dypls-dead-letter.jsonl in the destination: one JSON line per receipt given up on (its row failed for good on its
    /// last allowed delivery), written and flushed to disk before the receipt is deleted, so nothing is lost. Lines are
    /// appended whole under a lock; overlapping runs append with their own handles (O_APPEND keeps lines apart).
    /// </summary>
    internal sealed class DeadLetterFile
    {
        public const string FileName = "dypls-dead-letter.jsonl";

        private readonly object _gate = new object();

        public DeadLetterFile(string destination)
        {
            Path = System.IO.Path.Combine(destination, FileName);
        }

        public string Path { get; }

        /// <summary>Appends the receipt and its error, durably. Throws IOException when it cannot.</summary>
        public void Append(Receipt receipt, Exception error)
        {
            var line = Line(receipt, error);
            lock (_gate)
            {
                using var stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 4096, FileOptions.WriteThrough);
                stream.Write(line, 0, line.Length);
                stream.Flush(flushToDisk: true);
            }
        }

        internal static byte[] Line(Receipt receipt, Exception error)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("deadLetteredAt", DateTimeOffset.UtcNow.ToString("o", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteString("queueName", receipt.QueueName);
                json.WriteString("messageType", receipt.MessageType);
                json.WriteString("messageId", receipt.MessageId);
                json.WriteNumber("dequeueCount", receipt.DequeueCount);
                json.WriteString("callId", receipt.CallId);
                json.WriteString("errorId", (error as DyplsException)?.ErrorId ?? error.GetType().Name);
                // Messages carry no secrets (URLs are redacted where errors are made); the body is the receipt as received.
                json.WriteString("error", error.Message);
                json.WriteString("body", receipt.Body);
                json.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
            return buffer.ToArray();
        }
    }
}
