using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Receipts
{
    /// <summary>
    /// The receipts of one queue that are out of the queue: received and not yet settled. It bounds them (the receiver
    /// waits for room), extends their visibility before it runs out, so a slow download never makes a receipt come back
    /// while its row is still at work, and deletes settled ones in batches of up to 16. Its own task does the extending
    /// and the deleting; it keeps working after the receiver has stopped, until every receipt is settled.
    /// </summary>
    internal sealed class ReceiptLedger : IDisposable
    {
        // How long a settled receipt may wait for others to fill its delete batch: MNS bills per request, and a receipt
        // whose recording is saved loses nothing by waiting (should the run die, it comes back and is only deleted).
        private static readonly TimeSpan DeleteDelay = TimeSpan.FromSeconds(2);
        private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);

        private readonly MnsQueueClient _queue;
        private readonly Func<DateTimeOffset> _clock;
        private readonly ConcurrentDictionary<ReceiptLease, byte> _out = new ConcurrentDictionary<ReceiptLease, byte>();
        private readonly ConcurrentQueue<ReceiptLease> _toDelete = new ConcurrentQueue<ReceiptLease>();
        private readonly ConcurrentQueue<string> _log = new ConcurrentQueue<string>();
        private readonly ConcurrentQueue<string> _warnings = new ConcurrentQueue<string>();
        private readonly SemaphoreSlim _wake = new SemaphoreSlim(0);
        private readonly SemaphoreSlim _room = new SemaphoreSlim(0);
        private readonly CancellationTokenSource _stop = new CancellationTokenSource();
        private readonly object _workerGate = new object();
        private Task? _worker;
        private DateTimeOffset? _oldestDeleteWaiting;
        private volatile bool _receiverDone;
        private int _acknowledged, _extensions, _deleteRequests;

        /// <param name="capacity">Receipts allowed out of the queue at once.</param>
        public ReceiptLedger(MnsQueueClient queue, int capacity, Func<DateTimeOffset>? clock = null)
        {
            _queue = queue;
            Capacity = Math.Max(MnsQueueClient.MaxBatch, capacity);
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
            EnsureWorker();
        }

        // The task stops once the receiver is done and nothing is out; a receipt taken on later (from a variable) starts it again.
        private void EnsureWorker()
        {
            lock (_workerGate)
            {
                if (_worker == null && !_stop.IsCancellationRequested) _worker = Task.Run(RunAsync);
            }
        }

        internal void Retrack(ReceiptLease lease)
        {
            _out[lease] = 0;
            EnsureWorker();
        }

        public int Capacity { get; }

        /// <summary>Receipts out of the queue and not settled.</summary>
        public int Outstanding => _out.Count;

        /// <summary>Receipts deleted from the queue so far.</summary>
        public int Acknowledged => Volatile.Read(ref _acknowledged);

        /// <summary>Visibility extensions so far.</summary>
        public int Extensions => Volatile.Read(ref _extensions);

        /// <summary>Delete requests sent so far.</summary>
        public int DeleteRequests => Volatile.Read(ref _deleteRequests);

        /// <summary>Queues a verbose line (from any thread) for a pipeline thread to write.</summary>
        public void Log(string line) => _log.Enqueue(line);

        /// <summary>Verbose lines from the ledger's task, for a pipeline thread to write.</summary>
        public bool TryTakeLine(out string line) => _log.TryDequeue(out line!);

        /// <summary>Warnings (deletes that failed for good), for a pipeline thread to write.</summary>
        public bool TryTakeWarning(out string line) => _warnings.TryDequeue(out line!);

        /// <summary>Takes a received message into the ledger.</summary>
        public ReceiptLease Track(MnsMessage message, int records)
        {
            var lease = new ReceiptLease(this, message, records);
            _out[lease] = 0;
            EnsureWorker();
            return lease;
        }

        /// <summary>Waits until <paramref name="count"/> more receipts fit, or <paramref name="limit"/> passes; false then.</summary>
        public async Task<bool> WaitForRoomAsync(int count, TimeSpan limit, CancellationToken cancellationToken)
        {
            var until = _clock() + limit;
            while (Outstanding + count > Capacity)
            {
                var left = until - _clock();
                if (left <= TimeSpan.Zero) return false;
                await _room.WaitAsync(left < Tick ? left : Tick, cancellationToken).ConfigureAwait(false);
            }
            return true;
        }

        /// <summary>The receiver takes no more: the ledger ends once every receipt is settled and deleted.</summary>
        public void ReceiverDone()
        {
            _receiverDone = true;
            _wake.Release();
        }

        /// <summary>Sends the deletes that wait, and waits for them, at most <paramref name="limit"/>.</summary>
        public bool Flush(TimeSpan limit)
        {
            _flushRequested = true;
            EnsureWorker();
            _wake.Release();
            var until = _clock() + limit;
            while (!_toDelete.IsEmpty || Volatile.Read(ref _deleting) > 0)
            {
                if (_clock() >= until) return false;
                Thread.Sleep(20);
            }
            return true;
        }

        private volatile bool _flushRequested;
        private int _deleting;

        internal void Settle(ReceiptLease lease, bool durable)
        {
            if (durable && !lease.Lost)
            {
                _toDelete.Enqueue(lease);
                if (_toDelete.Count >= MnsQueueClient.MaxBatch) _wake.Release();
                EnsureWorker();
                return;
            }
            if (durable) _log.Enqueue($"Receipt {lease.MessageId}: its handle ran out before it was saved; it comes back and is deleted then.");
            Forget(lease, acknowledged: false);
        }

        private void Forget(ReceiptLease lease, bool acknowledged)
        {
            if (!_out.TryRemove(lease, out _)) return;
            if (acknowledged) Interlocked.Increment(ref _acknowledged);
            _room.Release();
        }

        private async Task RunAsync()
        {
            var token = _stop.Token;
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await _wake.WaitAsync(Tick, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                try
                {
                    await DeleteDueAsync(token).ConfigureAwait(false);
                    await ExtendDueAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    _warnings.Enqueue("The receipt queue could not be updated: " + MessageText.Describe(ex));
                }
                if (_receiverDone)
                {
                    lock (_workerGate)
                    {
                        if (_out.IsEmpty && _toDelete.IsEmpty)
                        {
                            _worker = null;
                            return;
                        }
                    }
                }
            }
            lock (_workerGate) _worker = null;
        }

        private async Task DeleteDueAsync(CancellationToken token)
        {
            if (_toDelete.IsEmpty) return;
            if (_oldestDeleteWaiting == null) _oldestDeleteWaiting = _clock();
            Interlocked.Increment(ref _deleting);
            try
            {
                // Full batches go out at once; a partial one only when it must (see PartialBatchDue), so that receipts
                // settling while a delete is on the wire wait to fill the next batch instead of going out in a small one.
                while (_toDelete.Count >= MnsQueueClient.MaxBatch || !_toDelete.IsEmpty && PartialBatchDue())
                {
                    var batch = new List<ReceiptLease>(MnsQueueClient.MaxBatch);
                    while (batch.Count < MnsQueueClient.MaxBatch && _toDelete.TryDequeue(out var lease)) batch.Add(lease);
                    if (batch.Count == 0) break;
                    await DeleteAsync(batch, token).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _deleting);
                if (_toDelete.IsEmpty)
                {
                    _oldestDeleteWaiting = null;
                    _flushRequested = false;
                }
            }
        }

        // A partial batch goes out when asked to (a flush), when nothing else can fill it (the receiver is done and every
        // receipt out is settled), when it has waited long enough, or when a handle in it is about to run out.
        private bool PartialBatchDue()
        {
            var now = _clock();
            return _flushRequested || _receiverDone && _out.Count == _toDelete.Count || now - _oldestDeleteWaiting >= DeleteDelay
                || _toDelete.Any(l => l.VisibleAgainAt - now <= ExtensionMargin(l));
        }

        private async Task DeleteAsync(List<ReceiptLease> batch, CancellationToken token)
        {
            Interlocked.Increment(ref _deleteRequests);
            List<MnsDeleteFailure> failures;
            try
            {
                failures = await _queue.DeleteAsync(batch.Select(l => l.Handle).ToList(), token).ConfigureAwait(false);
            }
            catch (MnsException ex)
            {
                // The receipts stay in the queue and come back; their recordings are saved, so the next run only deletes them.
                _warnings.Enqueue($"{batch.Count} receipt(s) whose recordings are saved could not be deleted from {_queue.QueueName}: {ex.Message} They come back and are deleted on a later run.");
                foreach (var lease in batch) Forget(lease, acknowledged: false);
                return;
            }
            var failed = new HashSet<string>(failures.Select(f => f.Handle), StringComparer.Ordinal);
            foreach (var lease in batch)
            {
                if (failed.Contains(lease.Handle))
                {
                    var f = failures.First(x => x.Handle == lease.Handle);
                    _log.Enqueue($"Receipt {lease.MessageId}: the queue did not delete it ({f.Code}); it comes back and is deleted then (its recording is saved).");
                    Forget(lease, acknowledged: false);
                }
                else
                {
                    Forget(lease, acknowledged: true);
                }
            }
            _log.Enqueue($"Deleted {batch.Count - failed.Count} receipt(s) from {_queue.QueueName} in one request.");
        }

        // Extensions in flight at once: a few, so that many receipts due together are extended in time over a slow link.
        private const int ExtensionsAtOnce = 8;

        private async Task ExtendDueAsync(CancellationToken token)
        {
            var now = _clock();
            var due = new List<ReceiptLease>();
            foreach (var lease in _out.Keys)
            {
                if (lease.Settled) continue;
                if (now >= lease.HoldUntil)
                {
                    lease.Lost = true;
                    _log.Enqueue($"Receipt {lease.MessageId}: held out of the queue for its longest time without being settled; it goes back.");
                    Forget(lease, acknowledged: false);
                    continue;
                }
                if (lease.Lost) continue;
                if (lease.VisibleAgainAt - now > ExtensionMargin(lease)) continue;
                if (lease.VisibleAgainAt <= now)
                {
                    lease.Lost = true;
                    _log.Enqueue($"Receipt {lease.MessageId}: its visibility ran out before it could be extended; it may come back.");
                    continue;
                }
                due.Add(lease);
            }
            for (var i = 0; i < due.Count; i += ExtensionsAtOnce)
            {
                await Task.WhenAll(due.Skip(i).Take(ExtensionsAtOnce).Select(l => ExtendAsync(l, token))).ConfigureAwait(false);
            }
        }

        // Extend with time to spare (and delete a settled receipt before its handle runs out): a third of the
        // visibility, at least 2 seconds.
        private static TimeSpan ExtensionMargin(ReceiptLease lease) => TimeSpan.FromSeconds(Math.Max(2.0, lease.ExtendBySeconds / 3.0));

        private async Task ExtendAsync(ReceiptLease lease, CancellationToken token)
        {
            try
            {
                var changed = await _queue.ChangeVisibilityAsync(lease.Handle, lease.ExtendBySeconds, token).ConfigureAwait(false);
                lease.Extended(changed.ReceiptHandle, changed.VisibleAgainAt);
                Interlocked.Increment(ref _extensions);
            }
            catch (MnsException ex)
            {
                lease.Lost = true;
                _log.Enqueue($"Receipt {lease.MessageId}: its visibility could not be extended ({ex.Code ?? ex.ErrorId}); it may come back.");
            }
        }

        /// <summary>Stops the ledger's task; receipts not settled come back to the queue when their visibility runs out.</summary>
        public void Dispose()
        {
            _stop.Cancel();
            Task? worker;
            lock (_workerGate) worker = _worker;
            try { worker?.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        }
    }
}
