using System;
using System.Collections.Generic;
using System.Threading;
using Dypls.Models;

namespace Dypls.Receipts
{
    /// <summary>
    /// Receive-DyplsReceipt's run: polls one queue and yields its receipts, only as fast as they are settled (the
    /// ledger's room), until the queue is empty (or, with a budget, until it is spent), or enough receipts were yielded.
    /// The caller hands each receipt on and releases it if nobody took it on. Pipeline thread.
    /// </summary>
    internal sealed class ReceiptDrain
    {
        private readonly MnsQueueClient _queue;
        private readonly ReceiptLedger _ledger;
        private readonly string _messageType;
        private readonly Func<DateTimeOffset> _clock;

        public ReceiptDrain(MnsQueueClient queue, ReceiptLedger ledger, string messageType, Func<DateTimeOffset>? clock = null)
        {
            _queue = queue;
            _ledger = ledger;
            _messageType = messageType;
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
        }

        /// <summary>Receipts yielded so far.</summary>
        public int Yielded { get; private set; }

        /// <summary>Receive requests sent so far.</summary>
        public int Polls { get; private set; }

        /// <param name="first">Stop after this many receipts; 0 for no limit.</param>
        /// <param name="duration">Keep polling this long; null: stop at the first empty poll.</param>
        /// <param name="waitSeconds">How long one poll waits for receipts without a budget.</param>
        /// <param name="tick">Runs on this thread while it waits (to write the ledger's lines).</param>
        /// <exception cref="DyplsException">A failure of the queue or the token that stops the run.</exception>
        /// <exception cref="OperationCanceledException">The pipeline was stopped.</exception>
        public IEnumerable<Receipt> Receive(int first, TimeSpan? duration, int waitSeconds, Action tick, CancellationToken cancellationToken)
        {
            var until = duration is TimeSpan d ? _clock() + d : (DateTimeOffset?)null;
            // A message that comes back during the run (nobody took it on, or its row failed) is not handed out again:
            // the next run takes it. Otherwise receipts kept only in a variable would keep a drain going for ever.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            while (true)
            {
                if (first > 0 && Yielded >= first) yield break;
                if (until is DateTimeOffset u && _clock() >= u) yield break;
                var want = Math.Min(MnsQueueClient.MaxBatch, first > 0 ? first - Yielded : MnsQueueClient.MaxBatch);
                // Only as fast as receipts are settled: wait for room, ticking meanwhile.
                while (!_ledger.WaitForRoomAsync(want, TimeSpan.FromSeconds(1), cancellationToken).GetAwaiter().GetResult())
                {
                    tick();
                    if (until is DateTimeOffset u2 && _clock() >= u2) yield break;
                }
                var wait = waitSeconds;
                if (until is DateTimeOffset u3) wait = (int)Math.Max(0, Math.Min(MnsQueueClient.MaxWaitSeconds, Math.Ceiling((u3 - _clock()).TotalSeconds)));
                Polls++;
                var batch = _queue.ReceiveAsync(want, wait, cancellationToken).GetAwaiter().GetResult();
                tick();
                var fresh = batch.FindAll(m => seen.Add(m.MessageId));
                if (fresh.Count == 0)
                {
                    if (until is null) yield break;
                    // Only messages handed out before: wait a little rather than poll in a tight loop.
                    if (batch.Count > 0) cancellationToken.WaitHandle.WaitOne(TimeSpan.FromSeconds(1));
                    cancellationToken.ThrowIfCancellationRequested();
                    continue;
                }
                foreach (var message in fresh)
                {
                    foreach (var receipt in ReceiptReader.Read(message, _messageType, _queue.QueueName, _ledger))
                    {
                        if (first > 0 && Yielded >= first)
                        {
                            receipt.ReleaseIfUnclaimed();
                            continue;
                        }
                        Yielded++;
                        yield return receipt;
                    }
                }
            }
        }
    }
}
