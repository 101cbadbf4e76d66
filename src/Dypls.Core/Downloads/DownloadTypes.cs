using System;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;

namespace Dypls.Downloads
{
    public enum DownloadStatus
    {
        /// <summary>Fetched from the first byte.</summary>
        Downloaded,

        /// <summary>Continued from a partial file left by an earlier attempt or run.</summary>
        Resumed,

        /// <summary>A complete file was already there (or another row or run fetched it); nothing was fetched.</summary>
        Skipped,
    }

    public sealed class SaveOptions
    {
        /// <summary>Download attempts per recording (network failures, 5xx, cut or stalled bodies, bad checksums).</summary>
        public int MaxAttempts { get; set; } = 5;

        public TimeSpan BaseRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>A transfer that receives nothing for this long is abandoned and retried (resuming).</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>A URL is refreshed before use when it expires within this margin.</summary>
        public TimeSpan UrlSafetyMargin { get; set; } = DownloadUrlPolicy.DefaultSafetyMargin;

        /// <summary>How many times one recording may get a fresh URL after an expiry.</summary>
        public int MaxUrlRefreshes { get; set; } = 3;

        public int BufferSize { get; set; } = 64 * 1024;

        /// <summary>
        /// How long a row waits for another run that owns its recording and shows no sign of life (no heartbeat, no new
        /// bytes) before it fails with RecordingBusy. Null: three idle timeouts, at least 30 s.
        /// </summary>
        public TimeSpan? BusyWaitLimit { get; set; }

        /// <summary>
        /// A recording at least this large gets its resume record (the partial file's ".meta") on disk before its first
        /// byte, so even a killed process or a power cut leaves it resumable. A smaller one keeps the record in memory and
        /// writes it only when its partial file is left behind (a failure, a stop, Ctrl+C): creating and deleting one more
        /// file per recording costs more than fetching a small recording again after a crash.
        /// </summary>
        public long EagerResumeRecordBytes { get; set; } = 1024 * 1024;

        /// <summary>
        /// Where the platform allows it (Linux, .NET), files finishing together in one folder are made durable by one
        /// file-system sync before they are renamed (<see cref="GroupSync"/>); otherwise, and when false, each is flushed
        /// to disk on its own. Either way no final name ever points at bytes that are not on disk.
        /// </summary>
        public bool SyncInGroups { get; set; } = true;

        public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;

        internal TimeSpan EffectiveBusyWaitLimit =>
            BusyWaitLimit ?? TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(30).Ticks, IdleTimeout.Ticks * 3));
    }

    /// <summary>One recording to save, as the planner decided it.</summary>
    public sealed class SaveJob
    {
        public SaveJob(string callId, string finalBase, Func<CancellationToken, Task<RecordFileUrl>> freshUrl)
        {
            CallId = callId;
            FinalBase = finalBase;
            FreshUrl = freshUrl;
        }

        public string CallId { get; }

        /// <summary>Full path of the final file, without its extension (that comes from the response).</summary>
        public string FinalBase { get; }

        /// <summary>Asks the API for a new URL.</summary>
        public Func<CancellationToken, Task<RecordFileUrl>> FreshUrl { get; }

        /// <summary>A URL given on input (Get-DyplsRecordUrl output, a CSV column); used while it has a safe margin left.</summary>
        public RecordFileUrl? KnownUrl { get; set; }

        /// <summary>True when <see cref="KnownUrl"/> came from the API (fetched ahead), not from input.</summary>
        public bool KnownUrlFromApi { get; set; }

        /// <summary>
        /// -Force: a finished file last written before this instant is replaced. One written since (by this run or one that
        /// overlaps it) is reported as Skipped, so duplicates and overlapping -Force runs download once.
        /// </summary>
        public DateTime? ReplaceFilesOlderThanUtc { get; set; }

        /// <summary>
        /// Downloads in flight (-ThrottleLimit): a slot is held from the GET to the body's last byte, not while the file is
        /// made durable and renamed, which needs only the disk. Null: no limit (one recording at a time).
        /// </summary>
        public Concurrency.DynamicSemaphore? TransferSlots { get; set; }

        /// <summary>
        /// Told of a failure that stops the run (a full disk) while this row still holds its download slot, before the slot
        /// is given back, so no waiting row starts a request after it.
        /// </summary>
        public Action<DyplsException>? RunStopping { get; set; }
    }

    public sealed class SaveResult
    {
        public SaveResult(string path, long length, DownloadStatus status, int attempts, int apiCalls, RecordFileUrl? url, string? md5)
        {
            Path = path;
            Length = length;
            Status = status;
            Attempts = attempts;
            ApiCalls = apiCalls;
            Url = url;
            Md5 = md5;
        }

        public string Path { get; }
        public long Length { get; }
        public DownloadStatus Status { get; }

        /// <summary>How long the last transfer held its download slot (zero when skipped): the network's share of the row.</summary>
        public TimeSpan TransferTime { get; internal set; }

        /// <summary>HTTP GETs of the recording (0 when skipped).</summary>
        public int Attempts { get; }

        /// <summary>QueryRecordFileDownloadUrl calls made for this recording (fresh and refreshed URLs).</summary>
        public int ApiCalls { get; }

        public RecordFileUrl? Url { get; }

        /// <summary>Lowercase hex MD5 of the saved file, when it was checked against the server's ETag.</summary>
        public string? Md5 { get; }
    }
}
