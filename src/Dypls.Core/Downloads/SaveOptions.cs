using System;

namespace Dypls.Downloads
{
    /// <summary>The limits and policies of one run's saves.</summary>
    internal sealed class SaveOptions
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
}
