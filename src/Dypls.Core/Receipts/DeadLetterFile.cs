using System;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using Dypls.Models;

namespace Dypls.Receipts
{
    /// <summary>
    /// dypls-dead-letter.jsonl in the destination: one JSON line per receipt given up on (its row failed for good on its
    /// last allowed delivery), written and flushed to disk before the receipt is deleted, so nothing is lost. .NET's
    /// FileMode.Append opens without O_APPEND (it seeks to the end), so writers that overlap (another run on the same
    /// destination) would write over each other's lines: each line is appended while the file is held exclusively.
    /// </summary>
    internal sealed class DeadLetterFile
    {
        public const string FileName = "dypls-dead-letter.jsonl";

        // How long an append waits for another writer to let go of the file; a line takes milliseconds.
        private static readonly TimeSpan BusyLimit = TimeSpan.FromSeconds(10);
        private static readonly TimeSpan BusyPause = TimeSpan.FromMilliseconds(20);

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
                var until = DateTime.UtcNow + BusyLimit;
                while (true)
                {
                    FileStream stream;
                    try
                    {
                        // FileShare.None: a sharing violation on Windows, an exclusive flock on Unix, for as long as the line takes.
                        stream = new FileStream(Path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
                    }
                    catch (IOException) when (DateTime.UtcNow < until && File.Exists(Path))
                    {
                        Thread.Sleep(BusyPause);
                        continue;
                    }
                    using (stream)
                    {
                        stream.Seek(0, SeekOrigin.End);
                        stream.Write(line, 0, line.Length);
                        stream.Flush(flushToDisk: true);
                    }
                    return;
                }
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
