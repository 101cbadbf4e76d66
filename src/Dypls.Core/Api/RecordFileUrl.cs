using System;

namespace Dypls.Api
{
    /// <summary>A successful QueryRecordFileDownloadUrl answer.</summary>
    internal sealed class RecordFileUrl
    {
        public RecordFileUrl(string downloadUrl, string? requestId, DateTimeOffset expiresAt, int attempts)
        {
            DownloadUrl = downloadUrl;
            RequestId = requestId;
            ExpiresAt = expiresAt;
            Attempts = attempts;
        }

        public string DownloadUrl { get; }
        public string? RequestId { get; }

        /// <summary>The URL's own Expires when present, else the response time plus the documented 2 hours.</summary>
        public DateTimeOffset ExpiresAt { get; }

        public int Attempts { get; }

        public static readonly TimeSpan DocumentedLifetime = TimeSpan.FromHours(2);

        /// <summary>Reads the OSS "Expires" (Unix seconds) from a signed URL.</summary>
        public static DateTimeOffset? ReadExpires(string url)
        {
            var q = url.IndexOf('?');
            if (q < 0) return null;
            foreach (var pair in url.Substring(q + 1).Split('&'))
            {
                var eq = pair.IndexOf('=');
                if (eq <= 0) continue;
                if (!string.Equals(pair.Substring(0, eq), "Expires", StringComparison.OrdinalIgnoreCase)) continue;
                if (long.TryParse(pair.Substring(eq + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
                    && seconds > 0 && seconds < 253402300799)
                {
                    return DateTimeOffset.FromUnixTimeSeconds(seconds);
                }
            }
            return null;
        }
    }
}
