using System;
using Dypls.Api;
using Dypls.Models;
using Dypls.Runs;

namespace Dypls.Receipts
{
    /// <summary>
    /// How Save-DyplsRecording settles a receipt it took on: deleted from its queue once the recording is durable; kept (it
    /// comes back) when the row failed in a way a later try may not; and, when the row failed for good on its last allowed
    /// delivery, written to the dead-letter file and then deleted, so that it neither is lost nor comes back forever.
    /// </summary>
    internal sealed class ReceiptCompletion : IRowCompletion
    {
        private readonly Receipt _receipt;
        private readonly DeadLetterFile _deadLetters;
        private readonly int _maxDeliveries;
        private readonly Action<string> _warn;

        public ReceiptCompletion(Receipt receipt, DeadLetterFile deadLetters, int maxDeliveries, Action<string> warn)
        {
            _receipt = receipt;
            _deadLetters = deadLetters;
            _maxDeliveries = maxDeliveries;
            _warn = warn;
        }

        public void Durable(SavedRecording saved) => _receipt.Settle(durable: true);

        /// <summary>The row was not saved (-WhatIf, or declined): the receipt comes back.</summary>
        public void Release() => _receipt.Settle(durable: false);

        public void Failed(Exception? error)
        {
            if (error is null || !FailsForGood(error) || _receipt.DequeueCount < _maxDeliveries)
            {
                _receipt.Settle(durable: false);
                return;
            }
            try
            {
                _deadLetters.Append(_receipt, error);
            }
            catch (Exception ex) when (ex is System.IO.IOException || ex is UnauthorizedAccessException)
            {
                _warn($"Receipt {_receipt.MessageId} (CallId '{MessageText.Shorten(_receipt.CallId)}') failed on its delivery {_receipt.DequeueCount} and could not be written to '{_deadLetters.Path}': {ex.Message} It stays in the queue.");
                _receipt.Settle(durable: false);
                return;
            }
            _warn($"Receipt {_receipt.MessageId} (CallId '{MessageText.Shorten(_receipt.CallId)}') failed on delivery {_receipt.DequeueCount} of at most {_maxDeliveries} ({(error as DyplsException)?.ErrorId}); it was written to '{_deadLetters.Path}' and leaves the queue.");
            _receipt.Settle(durable: true);
        }

        /// <summary>
        /// Whether another delivery would fail the same way: the input is bad, or the service says there is no such
        /// recording or refuses the row. Network trouble, throttling, a busy lock or a stopped run may pass.
        /// </summary>
        internal static bool FailsForGood(Exception error)
        {
            if (!(error is DyplsException d) || d.StopsRun) return false;
            if (d is DyplsApiException api) return api.Kind == ApiErrorKind.Permanent;
            return d.Category == FailureCategory.InvalidArgument || d.Category == FailureCategory.InvalidData || d.Category == FailureCategory.ObjectNotFound;
        }
    }
}
