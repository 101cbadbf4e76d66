using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using Dypls.Api;
using Dypls.Downloads;
using Dypls.Models;
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

        private protected override ThrottleLimit Limit => ThrottleLimit;

        private SaveRun _run = null!;
        private string _destination = string.Empty;
        private FileNameTemplate _template = null!;
        private DateTimeOffset _runStarted;

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _lastProgressMs = -1000;
        private readonly int _progressId = new Random().Next(1, int.MaxValue);

        protected override void BeginProcessing()
        {
            _runStarted = DateTimeOffset.UtcNow;
            try
            {
                _template = new FileNameTemplate(FileNameTemplate);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(Record(ex, FileNameTemplate));
            }
            _destination = ResolveDestination();
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

        private string ResolveDestination()
        {
            string path;
            try
            {
                path = string.IsNullOrEmpty(Destination)
                    ? SessionState.Path.CurrentFileSystemLocation.ProviderPath
                    : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Destination, out var provider, out _) is var p && provider.Name == "FileSystem"
                        ? p
                        : throw new PSArgumentException($"-Destination '{Destination}' is not a file system path.");
            }
            catch (Exception ex) when (ex is PSArgumentException || ex is ItemNotFoundException || ex is ProviderNotFoundException || ex is System.Management.Automation.DriveNotFoundException || ex is NotSupportedException)
            {
                ThrowTerminatingError(new ErrorRecord(ex, "InvalidDestination", ErrorCategory.InvalidArgument, Destination));
                throw; // not reached
            }
            path = Path.GetFullPath(path);
            if (File.Exists(path))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new DyplsException("DestinationNotAFolder", $"-Destination '{path}' is a file; give a folder (it is created when missing)."),
                    "DestinationNotAFolder", ErrorCategory.InvalidArgument, Destination));
            }
            return path;
        }

        private protected override void ProcessCall(CallRequest call, object row)
        {
            var plan = _run.Plan(call, Url, Unwrap(ExpiresAt));
            if (plan.Kind == SavePlanKind.Download && !ShouldProcess($"CallId '{call.CallIdForDisplay}' to '{plan.FinalBase}.*'", "Save recording"))
            {
                return;
            }
            try
            {
                _run.Start(plan, call, row);
            }
            catch (DyplsException ex) when (ex.StopsRun)
            {
                ThrowTerminatingError(Record(ex, row));
            }
        }

        private protected override void OnPipelineTick()
        {
            // A few updates a second at most: a chatty progress bar slows Windows PowerShell 5.1 badly.
            if (_clock.ElapsedMilliseconds - _lastProgressMs < 250) return;
            WriteProgressNow();
        }

        private void WriteProgressNow()
        {
            var now = _clock.ElapsedMilliseconds;
            _lastProgressMs = now;
            var seen = Rows.Seen;
            var done = seen - Rows.InFlight;
            var bytes = _run.Bytes;
            var rate = now > 0 ? bytes / (now / 1000.0) : 0;
            var record = new ProgressRecord(_progressId, "Saving recordings",
                string.Format(CultureInfo.CurrentCulture, "{0} of {1} done, {2}, {3}/s", done, seen, Size(bytes), Size((long)rate)))
            {
                PercentComplete = seen == 0 ? 0 : Math.Min(100, done * 100 / seen),
            };
            WriteProgress(record);
        }

        protected override void EndProcessing()
        {
            base.EndProcessing();
            // The last word before the bar closes: everything is done.
            WriteProgressNow();
            var record = new ProgressRecord(_progressId, "Saving recordings", "Done") { RecordType = ProgressRecordType.Completed };
            WriteProgress(record);
            WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0} rows, {1} transferred in {2:0.0} s.", Rows.Seen, Size(_run.Bytes), _clock.Elapsed.TotalSeconds));
        }

        private static string Size(long bytes)
        {
            if (bytes < 1024) return bytes + " B";
            if (bytes < 1024 * 1024) return (bytes / 1024.0).ToString("0.0", CultureInfo.CurrentCulture) + " KB";
            if (bytes < 1024L * 1024 * 1024) return (bytes / 1048576.0).ToString("0.0", CultureInfo.CurrentCulture) + " MB";
            return (bytes / 1073741824.0).ToString("0.00", CultureInfo.CurrentCulture) + " GB";
        }
    }
}
