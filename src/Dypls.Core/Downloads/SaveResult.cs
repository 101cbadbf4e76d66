using System;

namespace Dypls.Downloads
{
    /// <summary>What saving one recording did.</summary>
    internal sealed class SaveResult
    {
        public SaveResult(string path, long length, DownloadStatus status, int attempts, FetchTarget? url, string? md5, TimeSpan transferTime = default)
        {
            Path = path;
            Length = length;
            Status = status;
            Attempts = attempts;
            Url = url?.Url;
            Md5 = md5;
            TransferTime = transferTime;
        }

        public string Path { get; }
        public long Length { get; }
        public DownloadStatus Status { get; }

        /// <summary>How long the last transfer held its download slot (zero when skipped): the network's share of the row.</summary>
        public TimeSpan TransferTime { get; }

        /// <summary>HTTP GETs of the recording (0 when skipped).</summary>
        public int Attempts { get; }

        /// <summary>The URL the recording was fetched with; null when it was already saved.</summary>
        public Api.RecordFileUrl? Url { get; }

        /// <summary>Lowercase hex MD5 of the saved file, when it was checked against the server's ETag.</summary>
        public string? Md5 { get; }
    }
}
