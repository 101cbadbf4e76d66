using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
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

        /// <summary>Concurrent recordings (each an API call and a download).</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = 16;

        private protected override int Concurrency => ThrottleLimit;

        private static readonly StringComparer PathComparer =
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

        private string _destination = string.Empty;
        private FileNameTemplate _template = null!;
        private RecordingDownloader _downloader = null!;
        private readonly Dictionary<string, Task<SavedRecording>> _inFlight = new Dictionary<string, Task<SavedRecording>>(PathComparer);
        // With -Force an existing file does not mark a row done, so remember what this run has handled.
        private readonly HashSet<string> _handledWithForce = new HashSet<string>(PathComparer);

        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _bytes;
        private int _seen;
        private long _lastProgressMs = -1000;
        private readonly int _progressId = new Random().Next(1, int.MaxValue);

        protected override void BeginProcessing()
        {
            try
            {
                _template = new FileNameTemplate(FileNameTemplate);
            }
            catch (DyplsException ex)
            {
                ThrowTerminatingError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, FileNameTemplate));
            }
            _destination = ResolveDestination();
            base.BeginProcessing();
            var connectTimeout = TimeSpan.FromSeconds(ConnectTimeoutSec);
            _downloader = new RecordingDownloader(Http.SharedHttpClient.Get(connectTimeout), new DownloadOptions
            {
                MaxAttempts = MaxAttempts,
                // -TimeoutSec bounds one API attempt and, for downloads, a stretch with no data.
                IdleTimeout = TimeSpan.FromSeconds(TimeoutSec),
            })
            { Trace = Runner.Verbose };
            WriteDebug($"Destination: {_destination}; file names: {_template.Template}.");
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
            string finalBase;
            try
            {
                finalBase = Path.GetFullPath(Path.Combine(_destination, _template.Render(request.CallId, request.CallTime, request.PoolKey)));
            }
            catch (Exception ex) when (ex is ArgumentException || ex is PathTooLongException || ex is NotSupportedException)
            {
                Fail(row, new DyplsException("InvalidFileName", $"CallId '{request.CallIdForDisplay}' gives no usable file name: {ex.Message}", ex));
                return;
            }
            // Belt and braces: the sanitizer already keeps every segment inside the destination.
            var root = _destination.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? _destination : _destination + Path.DirectorySeparatorChar;
            if (!finalBase.StartsWith(root, StringComparison.Ordinal))
            {
                Fail(row, new DyplsException("InvalidFileName", $"CallId '{request.CallIdForDisplay}' would be saved outside '{_destination}'."));
                return;
            }

            // The same recording twice in one run: download once, report it for both rows.
            if (_inFlight.TryGetValue(finalBase, out var original))
            {
                Runner.Add(row, original.ContinueWith(t => AsSkipped(t.GetAwaiter().GetResult()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default));
                return;
            }
            if (Force && _handledWithForce.Contains(finalBase))
            {
                var existing = RecordingDownloader.FindExisting(finalBase);
                if (existing != null) { Runner.Add(row, Task.FromResult(Skipped(request, existing))); return; }
            }

            var knownUrl = KnownUrl();
            if (!Force)
            {
                var existing = RecordingDownloader.FindExisting(finalBase, knownUrl is null ? null : RecordingDownloader.ExtensionFromUrl(knownUrl.DownloadUrl));
                if (existing != null)
                {
                    Runner.Verbose($"CallId '{request.CallIdForDisplay}': '{existing}' is already saved; skipped.");
                    Runner.Add(row, Task.FromResult(Skipped(request, existing)));
                    return;
                }
            }

            if (!ShouldProcess($"CallId '{request.CallIdForDisplay}' to '{finalBase}.*'", "Save recording"))
            {
                return;
            }
            EnsureDestinationWritable(row);

            var client = Client;
            var runner = Runner;
            var job = new DownloadJob(request.CallId, finalBase, async token =>
            {
                runner.Verbose($"CallId '{request.CallIdForDisplay}': querying the download URL.");
                var url = await client.QueryRecordFileDownloadUrlAsync(request.CallId, request.CallTime, request.PoolKey, token).ConfigureAwait(false);
                runner.Verbose($"CallId '{request.CallIdForDisplay}': {Redaction.RedactUrl(url.DownloadUrl)} (expires {url.ExpiresAt:u}, RequestId {url.RequestId}).");
                return url;
            })
            {
                KnownUrl = knownUrl,
                Force = Force,
            };
            var downloader = _downloader;
            _inFlight[finalBase] = runner.Start(row, FailFast(row, async token =>
            {
                runner.Verbose($"CallId '{request.CallIdForDisplay}': saving to '{finalBase}.*'.");
                var r = await downloader.DownloadAsync(job, n => Interlocked.Add(ref _bytes, n), token).ConfigureAwait(false);
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
                    ApiCalls = r.ApiCalls,
                    Url = r.Url?.DownloadUrl,
                    ExpiresAt = r.Url?.ExpiresAt,
                };
            }));
            if (Force) _handledWithForce.Add(finalBase);
            SweepInFlight();
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
                var error = new DyplsException("DestinationNotWritable",
                    $"Cannot write recordings to '{_destination}': {ex.Message} Choose a folder you can write to with -Destination.", ex);
                ThrowTerminatingError(new ErrorRecord(error, error.ErrorId, ErrorCategory.WriteError, row));
            }
        }

        private void SweepInFlight()
        {
            if (_inFlight.Count < 1024) return;
            var done = new List<string>();
            foreach (var kv in _inFlight) if (kv.Value.IsCompleted) done.Add(kv.Key);
            foreach (var k in done) _inFlight.Remove(k);
        }

        private RecordFileUrl? KnownUrl()
        {
            if (string.IsNullOrWhiteSpace(Url)) return null;
            var url = Url!.Trim();
            DateTimeOffset? expires = RecordFileUrl.ReadExpires(url);
            var given = ExpiresAt is PSObject pso ? pso.BaseObject : ExpiresAt;
            switch (given)
            {
                case DateTimeOffset dto: expires = dto; break;
                case DateTime dt: expires = dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dt) : new DateTimeOffset(dt.ToUniversalTime()); break;
                case string s when DateTimeOffset.TryParse(s, CultureInfo.CurrentCulture, DateTimeStyles.None, out var p): expires = p; break;
                case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var p): expires = p; break;
            }
            // Without any expiry the URL is tried once; an "expired" answer gets a fresh one.
            return new RecordFileUrl(url, null, expires ?? DateTimeOffset.UtcNow.AddMinutes(30), 0);
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

        private static SavedRecording AsSkipped(SavedRecording original) => new SavedRecording
        {
            CallId = original.CallId,
            CallTime = original.CallTime,
            PoolKey = original.PoolKey,
            Status = DownloadStatus.Skipped,
            Path = original.Path,
            Length = original.Length,
            Md5 = original.Md5,
            Url = original.Url,
            ExpiresAt = original.ExpiresAt,
        };

        private void Fail(object row, DyplsException ex) => Runner.Add(row, Task.FromException<SavedRecording>(ex));

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
