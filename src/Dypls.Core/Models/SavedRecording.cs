using System;
using Dypls.Downloads;

namespace Dypls.Models
{
    /// <summary>Output of Save-DyplsRecording: one per input row; flat, so Export-Csv makes an audit log of it.</summary>
    public sealed class SavedRecording
    {
        public string CallId { get; set; } = string.Empty;

        /// <summary>"yyyy-MM-dd HH:mm:ss", Beijing time (UTC+8), as the service knows the call.</summary>
        public string CallTime { get; set; } = string.Empty;

        public string PoolKey { get; set; } = string.Empty;

        public DownloadStatus Status { get; set; }

        /// <summary>Full path of the recording on disk.</summary>
        public string Path { get; set; } = string.Empty;

        public long Length { get; set; }

        /// <summary>Lowercase hex MD5, when it was checked against the server's ETag.</summary>
        public string? Md5 { get; set; }

        /// <summary>HTTP requests for the recording's bytes (0 when skipped).</summary>
        public int Attempts { get; set; }

        /// <summary>QueryRecordFileDownloadUrl calls made for this row (0 when skipped or when a given URL was still good).</summary>
        public int ApiCalls { get; set; }

        /// <summary>The download URL used (a bearer credential until ExpiresAt); empty when skipped.</summary>
        public string? Url { get; set; }

        public DateTimeOffset? ExpiresAt { get; set; }

        public override string ToString() => $"{CallId} {Status} {Path}";
    }
}
