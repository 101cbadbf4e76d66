using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Models;
using Dypls.Receipts;

namespace Dypls.Commands
{
    /// <summary>
    /// Receive-DyplsReceipt: reads receipts (SecretRecording, SecretReport) from an Alicom receipt queue and writes one
    /// Receipt per record, as fast as the pipeline takes them. Nothing leaves the queue here: Save-DyplsRecording deletes a
    /// receipt once its recording is durable, Complete-DyplsReceipt after a consumer of one's own.
    /// </summary>
    [Cmdlet(VerbsCommunications.Receive, "DyplsReceipt")]
    [OutputType(typeof(Receipt))]
    public sealed class ReceiveDyplsReceiptCommand : ReceiptCommandBase, IDisposable
    {
        /// <summary>The queue the console shows under receipt settings, such as Alicom-Queue-1234567890-SecretRecording.</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string QueueName { get; set; } = string.Empty;

        /// <summary>SecretRecording or SecretReport; may be left out when the queue name ends in one of them.</summary>
        [Parameter(Position = 1)]
        [ValidateSet(ReceiptReader.SecretRecording, ReceiptReader.SecretReport)]
        public string? MessageType { get; set; }

        /// <summary>Stop after this many receipts.</summary>
        [Parameter]
        [ValidateRange(1, int.MaxValue)]
        public int First { get; set; }

        /// <summary>Keep polling until this much time has passed (a runbook's budget); without it, stop when the queue is empty.</summary>
        [Parameter]
        public TimeSpan? Duration { get; set; }

        /// <summary>Seconds one long poll waits for receipts (0 to 30) before the queue counts as empty.</summary>
        [Parameter]
        [ValidateRange(0, 30)]
        public int WaitSeconds { get; set; } = 3;

        /// <summary>Receipts received and not yet settled (saved, completed or released), at most.</summary>
        [Parameter]
        [ValidateRange(16, 4096)]
        public int MaxInFlight { get; set; } = 256;

        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private MnsTokenSource? _tokens;
        private MnsQueueClient? _queue;
        private ReceiptLedger? _ledger;
        private string _messageType = string.Empty;

        protected override void BeginProcessing()
        {
            PromptGuard.Apply(this);
        }

        protected override void ProcessRecord()
        {
            string queueName;
            try
            {
                queueName = MnsQueueClient.ValidQueueName(QueueName);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(Record(ex, QueueName));
                return;
            }
            _messageType = MessageType ?? ReceiptReader.MessageTypeOf(queueName) ?? string.Empty;
            if (_messageType.Length == 0)
            {
                ThrowTerminatingError(Record(new DyplsException("MessageTypeRequired",
                    $"The queue name '{queueName}' does not end in SecretRecording or SecretReport: give -MessageType.", category: FailureCategory.InvalidArgument), QueueName));
            }
            _queue = OpenQueue(queueName, _messageType, out var tokens);
            _tokens = tokens;
            _ledger = new ReceiptLedger(_queue, MaxInFlight);
            // The token source and the queue client work on the ledger's task too: their lines go through it.
            _tokens.Trace = _ledger.Log;
            _queue.Trace = _ledger.Log;
            WriteDebug($"Queue: {_queue.Endpoint}queues/{queueName} ({_messageType}).");
            try
            {
                Drain(queueName);
            }
            finally
            {
                _ledger.ReceiverDone();
                WriteLines();
            }
        }

        private void Drain(string queueName)
        {
            var drain = new ReceiptDrain(_queue!, _ledger!, _messageType);
            try
            {
                foreach (var receipt in drain.Receive(First, Duration, WaitSeconds, WriteLines, _cts.Token))
                {
                    if (receipt.CallId.Length == 0)
                        WriteWarning($"Receipt {receipt.MessageId} of {queueName} has no call_id the module can read; it is passed on as it is (its row fails, and after -MaxDeliveries it goes to the dead-letter file).");
                    try
                    {
                        WriteObject(receipt);
                    }
                    finally
                    {
                        // Nobody downstream took it on (it was displayed, filtered or kept, or downstream stopped): it
                        // comes back when its visibility ends.
                        receipt.ReleaseIfUnclaimed();
                    }
                }
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(Record(ex, QueueName));
            }
            WriteVerbose($"Received {drain.Yielded} receipt(s) from {queueName} in {drain.Polls} poll(s); {_queue!.Requests} queue request(s), {_tokens!.Fetched} token(s).");
        }

        private void WriteLines()
        {
            if (_ledger is null) return;
            while (_ledger.TryTakeLine(out var line)) WriteVerbose(line);
            while (_ledger.TryTakeWarning(out var warning)) WriteWarning(warning);
        }

        protected override void StopProcessing()
        {
            _cts.Cancel();
            _ledger?.ReceiverDone();
        }

        public void Dispose()
        {
            _cts.Cancel();
            _ledger?.ReceiverDone();
            // The token source is not disposed: receipts handed on are deleted through it after this cmdlet has ended.
            GC.SuppressFinalize(this);
        }
    }
}
