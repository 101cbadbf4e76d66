using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Concurrency;
using Dypls.Downloads;
using Dypls.Models;

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

        // Rows allowed in flight, as a multiple of the downloads in flight (URL look-ahead): a row fetches its URL in the
        // API lane (at most -ThrottleLimit calls at once) and then waits, holding it, for a download slot, so the download
        // lane never waits on API latency. Twice is enough for the API lane to keep ahead when an API call takes about as
        // long as a download, and keeps the URLs waiting (and memory) small. A failure that stops the run stops new
        // requests at once; what may still finish is the requests already in flight, as before.
        private const double LookAhead = 2.0;
        private DynamicSemaphore _rowSlots = null!;
        private DynamicSemaphore _apiSlots = null!;

        private protected override void ConfigureConcurrency(AdaptiveConcurrency concurrency)
        {
            _rowSlots = concurrency.AddFollower(LookAhead, (int)(concurrency.Slots.Ceiling * LookAhead));
            _apiSlots = concurrency.AddFollower(1.0, concurrency.Slots.Ceiling);
        }

        private protected override DynamicSemaphore RowSlots => _rowSlots;

        private string _destination = string.Empty;
        private SavePlanner _planner = null!;
        private RecordingSaver _saver = null!;

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _bytes;
        private int _seen;
        private long _lastProgressMs = -1000;
        private readonly int _progressId = new Random().Next(1, int.MaxValue);

        protected override void BeginProcessing()
        {
            var runStarted = DateTimeOffset.UtcNow;
            FileNameTemplate template = null!;
            try
            {
                template = new FileNameTemplate(FileNameTemplate);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, FileNameTemplate));
            }
            _destination = ResolveDestination();
            _planner = new SavePlanner(_destination, template, Force, runStarted);
            base.BeginProcessing();
            var connectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSec);
            _saver = new RecordingSaver(Http.SharedHttpClient.Get(connectTimeout), new SaveOptions
            {
                MaxAttempts = MaxAttempts,
                // -TimeoutSec bounds one API attempt and, for downloads, a stretch with no data.
                IdleTimeout = TimeSpan.FromSeconds(TimeoutSec),
            })
            { Trace = Logging ? Runner.Verbose : null, Congestion = Concurrency.Congested };
            WriteDebug($"Destination: {_destination}; file names: {template.Template}.");
        }

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

        private protected override void ProcessRow(RowRequest request, object row)
        {
            _seen++;
            var plan = _planner.Plan(request.CallId, request.CallTime, request.PoolKey, Url, ExpiresAt is PSObject pso ? pso.BaseObject : ExpiresAt);
            switch (plan.Kind)
            {
                case SavePlanKind.Invalid:
                    Runner.Add(row, Task.FromException<SavedRecording>(plan.Error!));
                    return;
                case SavePlanKind.Skip:
                    if (Logging) Runner.Verbose($"CallId '{request.CallIdForDisplay}': '{plan.ExistingPath}' is already saved; skipped.");
                    Runner.Add(row, Task.FromResult(Skipped(request, plan.ExistingPath!)));
                    return;
                case SavePlanKind.Duplicate:
                    // The same recording twice in one run: saved once, reported for both rows.
                    var original = (Task<SavedRecording>)plan.Original!;
                    Runner.Add(row, original.ContinueWith(t => AsSkipped(t.GetAwaiter().GetResult(), request), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                    return;
            }

            if (!ShouldProcess($"CallId '{request.CallIdForDisplay}' to '{plan.FinalBase}.*'", "Save recording"))
            {
                return;
            }
            EnsureDestinationWritable(row);

            var client = Client;
            var runner = Runner;
            var logging = Logging;
            Func<CancellationToken, Task<RecordFileUrl>> freshUrl = async token =>
            {
                if (logging) runner.Verbose($"CallId '{request.CallIdForDisplay}': querying the download URL.");
                var url = await client.QueryRecordFileDownloadUrlAsync(request.CallId, request.CallTime, request.PoolKey, token).ConfigureAwait(false);
                if (logging) runner.Verbose($"CallId '{request.CallIdForDisplay}': {Redaction.RedactUrl(url.DownloadUrl)} (expires {url.ExpiresAt:u}, RequestId {url.RequestId}).");
                return url;
            };
            var job = new SaveJob(request.CallId, plan.FinalBase, freshUrl)
            {
                KnownUrl = plan.KnownUrl,
                ReplaceFilesOlderThanUtc = _planner.ReplaceFilesOlderThanUtc,
            };
            var saver = _saver;
            var concurrency = Concurrency;
            var downloads = concurrency.Slots;
            var apiSlots = _apiSlots;
            var task = runner.Start(row, FailFast(row, async token =>
            {
                // URL look-ahead: the API call happens while the row holds only a row slot, so the download lane never
                // waits on API latency. The saver still looks for a finished file under ownership before it downloads.
                var prefetched = 0;
                if (job.KnownUrl is null)
                {
                    await apiSlots.WaitAsync(token).ConfigureAwait(false);
                    try
                    {
                        job.KnownUrl = await freshUrl(token).ConfigureAwait(false);
                    }
                    catch (DyplsException ex) when (ex.StopsRun)
                    {
                        StopRun(ex, row);
                        throw;
                    }
                    finally
                    {
                        apiSlots.Release();
                    }
                    job.KnownUrlFromApi = true;
                    prefetched = 1;
                    concurrency.Stepped();
                }
                // The saver holds a download slot from the GET to the body's last byte; the flush, sync and rename that
                // follow need only the disk, and the next download starts meanwhile.
                job.TransferSlots = downloads;
                job.RunStopping = ex => StopRun(ex, row);
                // A failure that stops the run is told by FailFast, before the runner gives the row's slot back.
                if (logging) runner.Verbose($"CallId '{request.CallIdForDisplay}': saving to '{plan.FinalBase}.*'.");
                var r = await saver.SaveAsync(job, n => Interlocked.Add(ref _bytes, n), token).ConfigureAwait(false);
                // A row another run had saved took no transfer: its time says nothing about the network.
                if (r.Status != DownloadStatus.Skipped) concurrency.Completed(r.Length, r.TransferTime);
                return new SavedRecording
                {
                    CallId = request.CallId,
                    CallTime = request.CallTime,
                    PoolKey = request.PoolKey,
                    Status = r.Status,
                    Path = r.Path,
                    Length = r.Length,
                    Md5 = r.Md5,
                    Attempts = r.Attempts,
                    ApiCalls = r.ApiCalls + prefetched,
                    Url = r.Url?.DownloadUrl,
                    ExpiresAt = r.Url?.ExpiresAt,
                };
            }));
            _planner.Started(plan.FinalBase, task);
        }

        private bool _destinationChecked;

        /// <summary>
        /// An unwritable destination would fail every row alike, so it is checked once, when the first row is
        /// really saved (never under -WhatIf), and raised once as a terminating error.
        /// </summary>
        private void EnsureDestinationWritable(object row)
        {
            if (_destinationChecked) return;
            var probe = Path.Combine(_destination, ".dypls-write-test-" + Guid.NewGuid().ToString("N"));
            try
            {
                Directory.CreateDirectory(_destination);
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
                _destinationChecked = true;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                var error = StorageErrors.IsDiskFull(ex)
                    ? StorageErrors.ForWrite(ex, "write", probe)
                    : new DyplsException("DestinationNotWritable",
                        $"Cannot write recordings to '{_destination}': {ex.Message} Choose a folder you can write to with -Destination.", ex, stopsRun: true);
                ThrowTerminatingError(new ErrorRecord(error, error.ErrorId, ErrorCategory.WriteError, row));
            }
        }

        private static SavedRecording Skipped(RowRequest request, string path) => new SavedRecording
        {
            CallId = request.CallId,
            CallTime = request.CallTime,
            PoolKey = request.PoolKey,
            Status = DownloadStatus.Skipped,
            Path = path,
            Length = new FileInfo(path).Length,
        };

        private static SavedRecording AsSkipped(SavedRecording original, RowRequest request) => new SavedRecording
        {
            CallId = request.CallId,
            CallTime = request.CallTime,
            PoolKey = request.PoolKey,
            Status = DownloadStatus.Skipped,
            Path = original.Path,
            Length = original.Length,
            Md5 = original.Md5,
            Url = original.Url,
            ExpiresAt = original.ExpiresAt,
        };

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
            var done = _seen - Runner.InFlight;
            var bytes = Interlocked.Read(ref _bytes);
            var rate = now > 0 ? bytes / (now / 1000.0) : 0;
            var record = new ProgressRecord(_progressId, "Saving recordings",
                string.Format(CultureInfo.CurrentCulture, "{0} of {1} done, {2}, {3}/s", done, _seen, Size(bytes), Size((long)rate)))
            {
                PercentComplete = _seen == 0 ? 0 : Math.Min(100, done * 100 / _seen),
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
            WriteVerbose(string.Format(CultureInfo.InvariantCulture, "{0} rows, {1} transferred in {2:0.0} s.", _seen, Size(Interlocked.Read(ref _bytes)), _clock.Elapsed.TotalSeconds));
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
