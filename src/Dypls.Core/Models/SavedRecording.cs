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

        /// <summary>Older accounts' ProductType, when the row gave one.</summary>
        public string? ProductType { get; set; }

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

        /// <summary>A row whose recording was saved (or found saved under ownership) by this run.</summary>
        internal static SavedRecording For(Runs.CallRequest call, SaveResult result, int apiCalls) => new SavedRecording
        {
            CallId = call.CallId,
            CallTime = call.CallTimeText,
            PoolKey = call.PoolKey,
            ProductType = call.ProductType,
            Status = result.Status,
            Path = result.Path,
            Length = result.Length,
            Md5 = result.Md5,
            Attempts = result.Attempts,
            ApiCalls = apiCalls,
            Url = result.Url?.DownloadUrl,
            ExpiresAt = result.Url?.ExpiresAt,
        };

        /// <summary>A row whose recording was already at <paramref name="path"/> before the run got to it.</summary>
        internal static SavedRecording AlreadySaved(Runs.CallRequest call, string path) => new SavedRecording
        {
            CallId = call.CallId,
            CallTime = call.CallTimeText,
            PoolKey = call.PoolKey,
            ProductType = call.ProductType,
            Status = DownloadStatus.Skipped,
            Path = path,
            Length = new System.IO.FileInfo(path).Length,
        };

        /// <summary>A row whose input says its call has no recording (a SecretReport receipt without record_url).</summary>
        internal static SavedRecording WithoutRecording(Runs.CallRequest call) => new SavedRecording
        {
            CallId = call.CallId,
            CallTime = call.CallTimeText,
            PoolKey = call.PoolKey,
            ProductType = call.ProductType,
            Status = DownloadStatus.NoRecording,
        };

        /// <summary>A row for the same recording as an earlier row of the run, which saved it.</summary>
        internal static SavedRecording SameAs(Runs.CallRequest call, SavedRecording original) => new SavedRecording
        {
            CallId = call.CallId,
            CallTime = call.CallTimeText,
            PoolKey = call.PoolKey,
            ProductType = call.ProductType,
            Status = DownloadStatus.Skipped,
            Path = original.Path,
            Length = original.Length,
            Md5 = original.Md5,
            Url = original.Url,
            ExpiresAt = original.ExpiresAt,
        };
    }
}
