using System;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using Dypls.Models;
using Dypls.Receipts;

namespace Dypls.Commands
{
    /// <summary>
    /// Complete-DyplsReceipt: deletes receipts from their queue once a consumer of one's own has handled them
    /// (Receive-DyplsReceipt | ForEach-Object { … } | Complete-DyplsReceipt). Deletes go out in batches of up to 16.
    /// Receipts from Receive-DyplsReceipt in this session use its queue connection; others (imported from a file) are
    /// deleted by QueueName and ReceiptHandle with a fresh token.
    /// </summary>
    [Cmdlet(VerbsLifecycle.Complete, "DyplsReceipt", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(void))]
    public sealed class CompleteDyplsReceiptCommand : ReceiptCommandBase, IDisposable
    {
        /// <summary>A receipt from Receive-DyplsReceipt (or an object with QueueName, ReceiptHandle and MessageType).</summary>
        [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
        [ValidateNotNull]
        public PSObject InputObject { get; set; } = null!;

        private readonly ReceiptAcknowledgements _live = new ReceiptAcknowledgements();
        private readonly Dictionary<(string Queue, string Type), List<(string Handle, object Row)>> _byHandle = new Dictionary<(string, string), List<(string, object)>>();
        private int _completed;
        private readonly System.Threading.CancellationTokenSource _cts = new System.Threading.CancellationTokenSource();

        protected override void StopProcessing() => _cts.Cancel();

        public void Dispose()
        {
            _cts.Dispose();
            GC.SuppressFinalize(this);
        }

        protected override void BeginProcessing() => PromptGuard.Apply(this);

        protected override void ProcessRecord()
        {
            var input = InputObject.BaseObject;
            var receipt = input as Receipt;
            var queue = receipt?.QueueName ?? Text("QueueName");
            var handle = receipt?.ReceiptHandle ?? Text("ReceiptHandle");
            var type = receipt?.MessageType ?? Text("MessageType") ?? ReceiptReader.MessageTypeOf(queue ?? string.Empty);
            if (string.IsNullOrEmpty(queue) || string.IsNullOrEmpty(handle) || string.IsNullOrEmpty(type))
            {
                WriteError(Record(new DyplsException("NotAReceipt",
                    "This input is not a receipt: it needs QueueName, ReceiptHandle and MessageType (as Receive-DyplsReceipt writes them).", category: FailureCategory.InvalidArgument), InputObject));
                return;
            }
            var callId = receipt?.CallId ?? Text("CallId");
            if (!ShouldProcess($"Receipt {receipt?.MessageId ?? Text("MessageId")} (CallId '{callId}') in {queue}", "Delete receipt")) return;
            if (receipt?.Lease != null)
            {
                if (!_live.TryTakeOn(receipt, out _))
                {
                    WriteWarning($"Receipt {receipt.MessageId} was settled already (by Save-DyplsRecording or an earlier Complete-DyplsReceipt).");
                    return;
                }
                receipt.Settle(durable: true);
                _completed++;
                WriteLines();
                return;
            }
            var key = (queue!, type!);
            if (!_byHandle.TryGetValue(key, out var list)) _byHandle[key] = list = new List<(string, object)>();
            list.Add((handle!, InputObject));
        }

        private string? Text(string name) => InputObject.Properties[name]?.Value?.ToString();

        protected override void EndProcessing()
        {
            if (!_live.Flush(TimeSpan.FromSeconds(TimeoutSec * 3))) WriteWarning("Some receipts were not deleted in time; they come back to their queue.");
            WriteLines();
            foreach (var group in _byHandle)
            {
                var queue = OpenQueue(group.Key.Queue, group.Key.Type, out var tokens);
                using var ownTokens = tokens;
                for (var i = 0; i < group.Value.Count; i += MnsQueueClient.MaxBatch)
                {
                    var batch = group.Value.Skip(i).Take(MnsQueueClient.MaxBatch).ToList();
                    List<MnsDeleteFailure> failures;
                    try
                    {
                        failures = queue.DeleteAsync(batch.Select(b => b.Handle).ToList(), _cts.Token).GetAwaiter().GetResult();
                    }
                    catch (OperationCanceledException) when (_cts.IsCancellationRequested)
                    {
                        throw new PipelineStoppedException();
                    }
                    catch (DyplsException ex) when (!ex.StopsRun)
                    {
                        foreach (var b in batch) WriteError(Record(ex, b.Row));
                        continue;
                    }
                    catch (DyplsException ex)
                    {
                        ThrowTerminatingError(Record(ex, group.Key.Queue));
                        return;
                    }
                    foreach (var b in batch)
                    {
                        var failure = failures.FirstOrDefault(f => f.Handle == b.Handle);
                        if (failure is null)
                        {
                            _completed++;
                            continue;
                        }
                        WriteError(Record(new DyplsException("ReceiptNotDeleted",
                            $"The queue {group.Key.Queue} did not delete this receipt ({failure.Code}: {failure.Message}). A handle works only until the receipt's visibility ends; the receipt comes back with a new one.",
                            category: FailureCategory.ObjectNotFound), b.Row));
                    }
                }
            }
            WriteVerbose($"Completed {_completed} receipt(s).");
        }

        private void WriteLines()
        {
            while (_live.TryTakeLine(out var line)) WriteVerbose(line);
            while (_live.TryTakeWarning(out var warning)) WriteWarning(warning);
        }
    }
}
