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

        /// <summary>A complete file was already there (or another row of this run fetched it); nothing was fetched.</summary>
        Skipped,
    }

    public sealed class DownloadOptions
    {
        /// <summary>Download attempts per recording (network failures, 5xx, cut or stalled bodies, bad checksums).</summary>
        public int MaxAttempts { get; set; } = 5;

        public TimeSpan BaseRetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>A transfer that receives nothing for this long is abandoned and retried (resuming).</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>A URL is refreshed before use when it expires within this margin.</summary>
        public TimeSpan UrlSafetyMargin { get; set; } = TimeSpan.FromMinutes(2);

        /// <summary>How many times one recording may get a fresh URL after an expiry.</summary>
        public int MaxUrlRefreshes { get; set; } = 3;

        public int BufferSize { get; set; } = 64 * 1024;

        public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;
    }

    /// <summary>One recording to save.</summary>
    public sealed class DownloadJob
    {
        public DownloadJob(string callId, string finalPathWithoutExtension, Func<CancellationToken, Task<RecordFileUrl>> freshUrl)
        {
            CallId = callId;
            FinalPathWithoutExtension = finalPathWithoutExtension;
            FreshUrl = freshUrl;
        }

        public string CallId { get; }

        /// <summary>Full path of the final file, without its extension (that comes from the response).</summary>
        public string FinalPathWithoutExtension { get; }

        /// <summary>Asks the API for a new URL.</summary>
        public Func<CancellationToken, Task<RecordFileUrl>> FreshUrl { get; }

        /// <summary>A URL already in hand (e.g. from Get-DyplsRecordUrl); used while it has a safe margin left.</summary>
        public RecordFileUrl? KnownUrl { get; set; }

        /// <summary>Overwrite an existing final file.</summary>
        public bool Force { get; set; }
    }

    public sealed class DownloadResult
    {
        public DownloadResult(string path, long length, DownloadStatus status, int attempts, int apiCalls, RecordFileUrl? url, string? md5)
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

        /// <summary>HTTP GETs of the recording (0 when skipped).</summary>
        public int Attempts { get; }

        /// <summary>QueryRecordFileDownloadUrl calls made for this recording (fresh and refreshed URLs).</summary>
        public int ApiCalls { get; }

        public RecordFileUrl? Url { get; }

        /// <summary>Lowercase hex MD5 of the saved file, when it was checked against the server's ETag.</summary>
        public string? Md5 { get; }
    }
}
