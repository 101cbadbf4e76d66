using System;
using System.Management.Automation;
using Dypls.Api;
using Dypls.Downloads;
using Dypls.Models;
using Dypls.Receipts;
using Dypls.Runs;

namespace Dypls.Commands
{
    /// <summary>
    /// Save-DyplsRecording: saves each call's recording into -Destination, concurrently, atomically and
    /// resumably. An existing file is skipped without an API call; -Force overwrites.
    /// </summary>
    [Cmdlet(VerbsData.Save, "DyplsRecording", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
    [OutputType(typeof(SavedRecording))]
    public sealed class SaveDyplsRecordingCommand : CallRecordCommandBase<SavedRecording>
    {
        /// <summary>Folder for the recordings; created when missing. Default: the current location.</summary>
        [Parameter(Position = 3)]
        [ValidateNotNullOrEmpty]
        public string? Destination { get; set; }

        /// <summary>Relative file name without extension: {CallId} (required), {PoolKey}, {CallTime}, {CallDate}, {CallMonth}; '/' makes folders.</summary>
        [Parameter]
        [ValidateNotNullOrEmpty]
        public string FileNameTemplate { get; set; } = Downloads.FileNameTemplate.Default;

        /// <summary>A download URL already in hand (Get-DyplsRecordUrl output); reused while it has a safe margin left.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("DownloadUrl")]
        [AllowNull, AllowEmptyString]
        public string? Url { get; set; }

        [Parameter(ValueFromPipelineByPropertyName = true, DontShow = true)]
        [AllowNull]
        public object? ExpiresAt { get; set; }

        /// <summary>Overwrite recordings that are already saved.</summary>
        [Parameter]
        public SwitchParameter Force { get; set; }

        /// <summary>
        /// Downloads in flight (request to last byte): Auto (default) finds the level that gives the most recordings per second on this machine and
        /// network, and backs off on throttling and timeouts; or a fixed number from 1 to 256. Download URLs are fetched
        /// ahead, for as many rows again.
        /// </summary>
        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(Completion.ThrottleLimitCompleter))]
        public ThrottleLimit ThrottleLimit { get; set; } = ThrottleLimit.Auto;

        /// <summary>
        /// For receipts (Receive-DyplsReceipt): the delivery from which a receipt whose row fails for good (no such
        /// recording, a bad row) is written to the dead-letter file in the destination and deleted from its queue.
        /// </summary>
        [Parameter]
        [ValidateRange(1, 1000)]
        public int MaxDeliveries { get; set; } = 5;

        private protected override ThrottleLimit Limit => ThrottleLimit;

        private readonly ReceiptAcknowledgements _receipts = new ReceiptAcknowledgements();

        private SaveRun _run = null!;
        private string _destination = string.Empty;
        private FileNameTemplate _template = null!;
        private DateTimeOffset _runStarted;

        private readonly SaveProgress _progress = new SaveProgress();

        protected override void BeginProcessing()
        {
            // -WhatIf given, or $WhatIfPreference (the way ShouldProcess decides it).
            _whatIf = MyInvocation.BoundParameters.TryGetValue("WhatIf", out var whatIf)
                ? ((SwitchParameter)whatIf).IsPresent
                : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
            _runStarted = DateTimeOffset.UtcNow;
            try
            {
                _template = new FileNameTemplate(FileNameTemplate);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(Record(ex, FileNameTemplate));
            }
            _destination = DestinationFolder.Resolve(this, Destination);
            base.BeginProcessing();
            WriteDebug($"Destination: {_destination}; file names: {_template.Template}.");
        }

        private protected override CallRun<SavedRecording> CreateRun(DyplsApiClient client, int? throttleLimit, bool logging) =>
            _run = new SaveRun(client, Http.SharedHttpClient.Get(TimeSpan.FromSeconds(ConnectTimeoutSec)), new SaveOptions
            {
                MaxAttempts = MaxAttempts,
                // -TimeoutSec bounds one API attempt and, for downloads, a stretch with no data.
                IdleTimeout = TimeSpan.FromSeconds(TimeoutSec),
            }, _destination, _template, Force, _runStarted, throttleLimit, logging);

        private protected override void OnInvalidRow(object row, DyplsException error) => Completion(row)?.Failed(error);

        /// <summary>
        /// The receipt side of a row, or null. Under -WhatIf no receipt is taken on: a recording found saved, a report
        /// without one, or a row that fails for good would otherwise still delete (or dead-letter) its receipt.
        /// </summary>
        private ReceiptCompletion? Completion(object? row) => _whatIf ? null : _receipts.For(Unwrap(row), _run.Destination, MaxDeliveries);

        private bool _whatIf;

        private protected override void ProcessCall(CallRequest call, object row)
        {
            var completion = Completion(InputObject);
            if (completion != null && ReceiptAcknowledgements.HasNoRecording(Unwrap(InputObject), Url))
            {
                _run.Finish(row, SavedRecording.WithoutRecording(call), completion);
                return;
            }
            var plan = _run.Plan(call, Url, Unwrap(ExpiresAt));
            if (plan.Kind == SavePlanKind.Download && !ShouldProcess($"CallId '{call.CallIdForDisplay}' to '{plan.FinalBase}.*'", "Save recording"))
            {
                // Nothing saved, so nothing is deleted: the receipt comes back.
                completion?.Release();
                return;
            }
            try
            {
                _run.Start(plan, call, row, completion);
            }
            catch (DyplsException ex) when (ex.StopsRun)
            {
                completion?.Release();
                ThrowTerminatingError(Record(ex, row));
            }
        }

        private protected override void OnPipelineTick()
        {
            WriteReceiptLines();
            if (_progress.Due(out var record, Rows.Seen, Rows.InFlight, _run.Bytes)) WriteProgress(record);
        }

        private void WriteReceiptLines()
        {
            while (_receipts.TryTakeLine(out var line)) WriteVerbose(line);
            while (_receipts.TryTakeWarning(out var warning)) WriteWarning(warning);
        }

        protected override void EndProcessing()
        {
            base.EndProcessing();
            // The run returns once what it saved is acknowledged: the deletes that wait go out now.
            if (!_receipts.Flush(TimeSpan.FromSeconds(TimeoutSec * 3))) WriteWarning("Some receipts whose recordings are saved were not deleted in time; they come back and are deleted on a later run.");
            WriteReceiptLines();
            if (_receipts.Summary() is string summary) WriteVerbose(summary);
            foreach (var record in _progress.Last(Rows.Seen, _run.Bytes)) WriteProgress(record);
            WriteVerbose(_progress.Summary(Rows.Seen, _run.Bytes));
        }
    }
}
