using System;
using System.Globalization;
using System.IO;
using System.Net;
using Dypls.Api;

namespace Dypls.Downloads
{
    /// <summary>What Dypls accepts of a download URL: its scheme and host, the file extension it may give, its expiry.</summary>
    internal static class DownloadUrlPolicy
    {
        /// <summary>A URL is refreshed before use when it expires within this margin.</summary>
        public static readonly TimeSpan DefaultSafetyMargin = TimeSpan.FromMinutes(2);

        /// <summary>Lifetime assumed for a URL given on input with no expiry of its own: tried once, refreshed when refused.</summary>
        public static readonly TimeSpan UnknownInputLifetime = TimeSpan.FromMinutes(30);

        /// <summary>
        /// The address to fetch. OSS signs neither the scheme nor the port, so http on an Alibaba Cloud host is upgraded to
        /// HTTPS: the URL is a bearer credential and the recording is personal data. Plain http elsewhere is allowed only on
        /// loopback (the emulator) when <paramref name="givenOnInput"/>: a URL from a CSV is not sent in clear to any host.
        /// </summary>
        public static Uri FetchUri(string downloadUrl, bool givenOnInput)
        {
            if (!Uri.TryCreate(downloadUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new DyplsException("InvalidDownloadUrl", $"'{Redaction.RedactUrl(downloadUrl)}' is not an http(s) URL.", category: FailureCategory.InvalidArgument);
            if (uri.Scheme == Uri.UriSchemeHttp)
            {
                if (IsAlibabaCloudHost(uri.Host))
                    return new UriBuilder(uri) { Scheme = Uri.UriSchemeHttps, Port = -1 }.Uri;
                if (givenOnInput && !IsLoopback(uri))
                {
                    throw new DyplsException("InsecureDownloadUrl",
                        $"the download URL {Redaction.RedactUrl(downloadUrl)} is plain http on '{uri.Host}', which is neither an Alibaba Cloud (*.aliyuncs.com) " +
                        "nor a loopback host. A download URL is a bearer credential, so Dypls does not send it in clear. Give an https URL, or leave the Url column out to get a fresh one from the API.", category: FailureCategory.InvalidArgument);
                }
            }
            return uri;
        }

        public static bool IsAlibabaCloudHost(string host) =>
            host.EndsWith(".aliyuncs.com", StringComparison.OrdinalIgnoreCase);

        private static bool IsLoopback(Uri uri) =>
            uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

        /// <summary>
        /// The extension of the saved file: the URL's object name when it is a known recording type, else the content type,
        /// else ".bin". A crafted URL can never make Dypls write a ".ps1", ".exe" or ".bat".
        /// </summary>
        public static string ExtensionFor(string downloadUrl, string? mediaType) =>
            KnownExtensionFromUrl(downloadUrl) ?? ExtensionFromContentType(mediaType);

        /// <summary>The URL object's extension when it is one of <see cref="RecordingStore.KnownExtensions"/>; null otherwise.</summary>
        public static string? KnownExtensionFromUrl(string downloadUrl)
        {
            if (!Uri.TryCreate(downloadUrl, UriKind.Absolute, out var uri)) return null;
            var ext = Path.GetExtension(uri.AbsolutePath).ToLowerInvariant();
            foreach (var known in RecordingStore.KnownExtensions)
            {
                if (known == ext) return known;
            }
            return null;
        }

        private static string ExtensionFromContentType(string? mediaType)
        {
            switch ((mediaType ?? string.Empty).ToLowerInvariant())
            {
                case "audio/mpeg": case "audio/mp3": return ".mp3";
                case "audio/wav": case "audio/x-wav": case "audio/wave": return ".wav";
                case "audio/amr": return ".amr";
                case "audio/mp4": case "audio/x-m4a": return ".m4a";
                case "audio/ogg": return ".ogg";
                case "audio/aac": return ".aac";
                case "audio/opus": return ".opus";
                case "audio/flac": case "audio/x-flac": return ".flac";
                default: return ".bin";
            }
        }

        /// <summary>True when the URL should be refreshed before use.</summary>
        public static bool NeedsRefresh(RecordFileUrl url, DateTimeOffset now, TimeSpan margin) => url.ExpiresAt - margin <= now;

        /// <summary>
        /// A URL handed in on input (Get-DyplsRecordUrl output or a CSV column), with its expiry from ExpiresAt when given,
        /// else from the URL's own Expires, else assumed short.
        /// </summary>
        public static RecordFileUrl FromInput(string url, object? expiresAt, DateTimeOffset now)
        {
            var trimmed = url.Trim();
            var expires = RecordFileUrl.ReadExpires(trimmed);
            switch (expiresAt)
            {
                case DateTimeOffset dto: expires = dto; break;
                case DateTime dt: expires = dt.Kind == DateTimeKind.Unspecified ? new DateTimeOffset(dt) : new DateTimeOffset(dt.ToUniversalTime()); break;
                case string s when DateTimeOffset.TryParse(s, CultureInfo.CurrentCulture, DateTimeStyles.None, out var p): expires = p; break;
                case string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var p): expires = p; break;
            }
            return new RecordFileUrl(trimmed, null, expires ?? now + UnknownInputLifetime, 0);
        }
    }
}
