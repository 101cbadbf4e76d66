using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using Dypls.Models;

namespace Dypls.Receipts
{
    /// <summary>
    /// A save run's side of the receipts it is given: takes each live receipt on, settles it through its row
    /// (<see cref="ReceiptCompletion"/>), and at the end sends the deletes that wait, so that a run that returns has
    /// acknowledged what it saved. Warnings and verbose lines are kept for the pipeline thread.
    /// </summary>
    internal sealed class ReceiptAcknowledgements
    {
        private readonly ConcurrentQueue<string> _warnings = new ConcurrentQueue<string>();
        private readonly HashSet<ReceiptLedger> _ledgers = new HashSet<ReceiptLedger>();
        private DeadLetterFile? _deadLetters;

        /// <summary>
        /// Takes <paramref name="input"/> on when it is a live receipt not yet taken on (its queue's deletes are then
        /// flushed by <see cref="Flush"/>); the caller settles it. Pipeline thread.
        /// </summary>
        public bool TryTakeOn(object? input, out Receipt receipt)
        {
            receipt = (input as Receipt)!;
            if (receipt?.Lease is null || !receipt.TryClaim()) return false;
            _ledgers.Add(receipt.Lease.Ledger);
            return true;
        }

        /// <summary>The completion of <paramref name="input"/> when it is a live receipt not yet taken on; null otherwise. Pipeline thread.</summary>
        public ReceiptCompletion? For(object? input, string destination, int maxDeliveries)
        {
            if (!TryTakeOn(input, out var receipt)) return null;
            _deadLetters ??= new DeadLetterFile(destination);
            return new ReceiptCompletion(receipt, _deadLetters, maxDeliveries, _warnings.Enqueue);
        }

        /// <summary>A SecretReport without a record_url: the call has no recording, which is no error.</summary>
        public static bool HasNoRecording(object? input, string? url) =>
            input is Receipt receipt && receipt.MessageType == ReceiptReader.SecretReport && string.IsNullOrWhiteSpace(url);

        public bool TryTakeWarning(out string line) => _warnings.TryDequeue(out line!);

        public bool TryTakeLine(out string line)
        {
            foreach (var ledger in _ledgers)
            {
                if (ledger.TryTakeLine(out line)) return true;
                if (ledger.TryTakeWarning(out var warning)) _warnings.Enqueue(warning);
            }
            line = string.Empty;
            return false;
        }

        /// <summary>Sends the deletes that wait, at most <paramref name="limit"/> per queue; false when some did not go out in time.</summary>
        public bool Flush(TimeSpan limit)
        {
            var all = true;
            foreach (var ledger in _ledgers) all &= ledger.Flush(limit);
            return all;
        }

        /// <summary>What the queues this run took receipts from did (MNS bills per request); null when it took none.</summary>
        public string? Summary()
        {
            if (_ledgers.Count == 0) return null;
            int deleted = 0, requests = 0, extensions = 0;
            foreach (var ledger in _ledgers)
            {
                deleted += ledger.Acknowledged;
                requests += ledger.DeleteRequests;
                extensions += ledger.Extensions;
            }
            return $"Receipts: {deleted} deleted from their queue in {requests} request(s); {extensions} visibility extension(s).";
        }
    }
}
