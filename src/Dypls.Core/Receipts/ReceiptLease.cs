using System;
using System.Threading;

namespace Dypls.Receipts
{
    /// <summary>
    /// One received queue message while it is out of the queue: its current handle (the visibility is extended while its
    /// records are worked on, and each extension gives a new handle), and how many of its records are not yet settled.
    /// It is deleted once every record is durable, and left to come back when any record is released.
    /// </summary>
    internal sealed class ReceiptLease
    {
        private readonly ReceiptLedger _ledger;
        private int _unsettled;
        private int _released;
        private string _handle;

        public ReceiptLease(ReceiptLedger ledger, MnsMessage message, int records)
        {
            _ledger = ledger;
            _handle = message.ReceiptHandle;
            MessageId = message.MessageId;
            VisibleAgainAt = message.VisibleAgainAt;
            // Extended by the queue's own visibility timeout: receipts of a run that dies come back as soon as without it.
            var seconds = Math.Round(message.Visibility.TotalSeconds);
            ExtendBySeconds = (int)Math.Max(2, Math.Min(300, double.IsNaN(seconds) ? 30 : seconds));
            _unsettled = Math.Max(1, records);
            HoldUntil = message.VisibleAgainAt + MaxHold;
        }

        public string MessageId { get; }

        // A row ends long before this (a download URL lasts 2 hours); past it the message is no longer held out of its queue,
        // so that a receipt whose consumer vanished without settling it comes back.
        private static readonly TimeSpan MaxHold = TimeSpan.FromHours(2);

        /// <summary>Until when the visibility may be extended.</summary>
        public DateTimeOffset HoldUntil { get; }

        /// <summary>Seconds of visibility each extension asks for.</summary>
        public int ExtendBySeconds { get; }

        public ReceiptLedger Ledger => _ledger;

        /// <summary>The handle that deletes the message now.</summary>
        public string Handle => Volatile.Read(ref _handle);

        /// <summary>When the queue hands the message out again unless it is extended (local clock). Ledger thread.</summary>
        public DateTimeOffset VisibleAgainAt { get; private set; }

        /// <summary>Whether every record is settled (the lease is out of the ledger).</summary>
        public bool Settled => Volatile.Read(ref _unsettled) <= 0;

        /// <summary>A handle is no longer the current one (the visibility ran out): a delete would fail.</summary>
        public bool Lost { get; set; }

        internal void Extended(string handle, DateTimeOffset visibleAgainAt)
        {
            Volatile.Write(ref _handle, handle);
            VisibleAgainAt = visibleAgainAt;
        }

        /// <summary>A released record is taken on again: the message is back in the ledger (extended, deleted when durable).</summary>
        internal void Reclaimed()
        {
            if (Interlocked.Increment(ref _unsettled) == 1)
            {
                Interlocked.Exchange(ref _released, 0);
                _ledger.Retrack(this);
            }
        }

        /// <summary>One record is settled: durable (may be deleted), or released (leave the message to come back).</summary>
        internal void RecordSettled(bool durable)
        {
            if (!durable) Interlocked.Exchange(ref _released, 1);
            if (Interlocked.Decrement(ref _unsettled) == 0) _ledger.Settle(this, Volatile.Read(ref _released) == 0);
        }
    }
}
