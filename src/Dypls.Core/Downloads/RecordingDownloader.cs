using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;

namespace Dypls.Downloads
{
    /// <summary>
    /// Saves one recording atomically and resumably: bytes go to a hidden ".name.dypls-partial" file beside the
    /// final one; the length is checked against Content-Length and the MD5 against a plain-MD5 ETag; only then is
    /// the file renamed to its final name. So any file at a final name is complete, and an interrupted transfer
    /// continues with a Range request on the next attempt or the next run. Thread-safe.
    /// </summary>
    public sealed class RecordingDownloader
    {
        /// <summary>Extensions a finished recording may have; a file "&lt;name&gt;.&lt;ext&gt;" with one of them counts as done.</summary>
        public static readonly IReadOnlyList<string> KnownExtensions = new[] { ".mp3", ".wav", ".m4a", ".amr", ".ogg", ".aac", ".opus", ".wma", ".flac", ".bin" };

        private const string MetaSuffix = ".meta";
        private static readonly Regex PlainMd5 = new Regex("^[0-9A-Fa-f]{32}$", RegexOptions.CultureInvariant);

        private readonly HttpClient _http;
        private readonly DownloadOptions _options;
        private readonly RetryBackoff _backoff;
        private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _createdFolders = new System.Collections.Concurrent.ConcurrentDictionary<string, byte>();

        public RecordingDownloader(HttpClient http, DownloadOptions options)
        {
            _http = http;
            _options = options;
            // At least half of each step: a cut transfer usually comes back soon, but not all at once.
            _backoff = new RetryBackoff(options.BaseRetryDelay, options.MaxRetryDelay, jitterFloor: 0.5);
        }

        /// <summary>Safe, redacted lines for -Verbose; called from worker threads.</summary>
        public Action<string>? Trace { get; set; }

        /// <summary>The finished file for this base path, if any (any known extension, plus <paramref name="extraExtension"/>).</summary>
        public static string? FindExisting(string finalPathWithoutExtension, string? extraExtension = null)
        {
            if (extraExtension != null && File.Exists(finalPathWithoutExtension + extraExtension)) return finalPathWithoutExtension + extraExtension;
            foreach (var ext in KnownExtensions)
            {
                var p = finalPathWithoutExtension + ext;
                if (File.Exists(p)) return p;
            }
            return null;
        }

        public static string PartialPathFor(string finalPathWithoutExtension)
        {
            var dir = Path.GetDirectoryName(finalPathWithoutExtension) ?? ".";
            return Path.Combine(dir, "." + Path.GetFileName(finalPathWithoutExtension) + FileNameSanitizer.PartialSuffix);
        }

        /// <summary>The extension the URL's object name carries, when it is a plain one.</summary>
        public static string? ExtensionFromUrl(string url)
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) return null;
            var ext = Path.GetExtension(uri.AbsolutePath);
            return Regex.IsMatch(ext, "^\\.[A-Za-z0-9]{1,8}$") ? ext.ToLowerInvariant() : null;
        }

        public async Task<DownloadResult> DownloadAsync(DownloadJob job, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            var url = job.KnownUrl;
            var apiCalls = 0;
            var refreshes = 0;
            var partial = PartialPathFor(job.FinalPathWithoutExtension);
            var meta = partial + MetaSuffix;
            var folder = Path.GetDirectoryName(job.FinalPathWithoutExtension)!;
            // Thousands of rows share a few folders: create each once per run, not once per row.
            if (!_createdFolders.ContainsKey(folder))
            {
                CreateDirectory(folder);
                _createdFolders.TryAdd(folder, 0);
            }

            var attempt = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // A URL can expire while the row waits in the queue or between retries: refresh it first.
                if (url is null || url.ExpiresAt - _options.UrlSafetyMargin <= _options.Clock())
                {
                    if (url != null) Trace?.Invoke($"CallId '{MessageText.Shorten(job.CallId)}': the download URL expires at {url.ExpiresAt:u}; getting a fresh one.");
                    url = await job.FreshUrl(cancellationToken).ConfigureAwait(false);
                    apiCalls++;
                }

                attempt++;
                try
                {
                    var (path, length, resumed, md5) = await FetchOnceAsync(job, url, partial, meta, onBytes, cancellationToken).ConfigureAwait(false);
                    return new DownloadResult(path, length, resumed ? DownloadStatus.Resumed : DownloadStatus.Downloaded, attempt, apiCalls, url, md5);
                }
                catch (UrlExpiredException)
                {
                    attempt--; // not the transfer's fault
                    if (++refreshes > _options.MaxUrlRefreshes)
                        throw new DyplsException("DownloadUrlExpired", $"CallId '{MessageText.Shorten(job.CallId)}': the download URL kept expiring ({refreshes} fresh URLs were tried). Check that the local clock is right.");
                    Trace?.Invoke($"CallId '{MessageText.Shorten(job.CallId)}': the download URL has expired; getting a fresh one.");
                    url = await job.FreshUrl(cancellationToken).ConfigureAwait(false);
                    apiCalls++;
                }
                catch (TransientDownloadException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    if (attempt >= _options.MaxAttempts)
                        throw new DyplsException(ex.ErrorId, $"CallId '{MessageText.Shorten(job.CallId)}': {ex.Message} Gave up after {attempt} attempts; run the same command again to resume from what was saved.", ex.InnerException);
                    var delay = _backoff.Delay(attempt);
                    Trace?.Invoke($"CallId '{MessageText.Shorten(job.CallId)}': attempt {attempt} failed ({ex.Message}); retrying in {delay.TotalMilliseconds:0} ms.");
                    await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        private async Task<(string Path, long Length, bool Resumed, string? Md5)> FetchOnceAsync(
            DownloadJob job, RecordFileUrl url, string partial, string meta, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            var (have, validator, expectedTotal) = ReadPartialState(partial, meta);
            var target = FetchUri(url.DownloadUrl);
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            if (have > 0)
            {
                request.Headers.Range = new RangeHeaderValue(have, null);
                // If the object changed since the partial was written, the server sends it whole (200), never a mismatched tail.
                request.Headers.TryAddWithoutValidation("If-Range", validator);
            }

            using var headerCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            headerCts.CancelAfter(_options.IdleTimeout);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, headerCts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TransientDownloadException("DownloadStalled", $"the download server did not answer within {_options.IdleTimeout.TotalSeconds:0} s.");
            }
            catch (HttpRequestException ex)
            {
                throw new TransientDownloadException("DownloadNetworkError", "the download failed: " + ex.Message, ex);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                bool append;
                long total;
                switch (status)
                {
                    case 200:
                        append = false;
                        total = response.Content.Headers.ContentLength ?? -1;
                        break;
                    case 206:
                        var range = response.Content.Headers.ContentRange;
                        if (range?.From != have || range.Length is null)
                        {
                            DeletePartial(partial, meta);
                            throw new TransientDownloadException("DownloadRangeMismatch", "the server answered a different range than asked for; starting over.");
                        }
                        append = true;
                        total = range.Length.Value;
                        break;
                    case 416 when have > 0:
                        if (expectedTotal == have)
                        {
                            // The partial is already whole (the last run stopped between the last byte and the rename).
                            return Finish(job, url, partial, meta, validator, have, resumed: true, response);
                        }
                        DeletePartial(partial, meta);
                        throw new TransientDownloadException("DownloadRangeMismatch", "the saved part no longer matches the recording; starting over.");
                    case 403:
                        var body = await SafeBodyAsync(response).ConfigureAwait(false);
                        if (body.IndexOf("expired", StringComparison.OrdinalIgnoreCase) >= 0 || url.ExpiresAt <= _options.Clock())
                            throw new UrlExpiredException();
                        throw new DyplsException("DownloadAccessDenied", $"CallId '{MessageText.Shorten(job.CallId)}': the download server refused the URL {Redaction.RedactUrl(url.DownloadUrl)} (HTTP 403{OssCode(body)}).");
                    case 404:
                        throw new DyplsException("RecordingNotAvailable", $"CallId '{MessageText.Shorten(job.CallId)}': the recording file is not on the download server (HTTP 404{OssCode(await SafeBodyAsync(response).ConfigureAwait(false))}). Recordings are kept only for the retention window (14 days on the product page, 30 days in current docs).");
                    default:
                        if (status >= 500 || status == 408 || status == 429)
                            throw new TransientDownloadException("DownloadServerError", $"the download server answered HTTP {status}.");
                        throw new DyplsException("DownloadFailed", $"CallId '{MessageText.Shorten(job.CallId)}': the download server answered HTTP {status}{OssCode(await SafeBodyAsync(response).ConfigureAwait(false))}.");
                }

                var etag = response.Headers.ETag?.Tag;
                // The MD5 is taken of the bytes as they arrive (after the saved prefix, when resuming): no second pass over the file.
                using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
                try
                {
                    if (append) HashFile(partial, md5); // before the partial is opened for writing, which locks it
                    else WriteMeta(meta, etag, total);
                    using (var stream = OpenPartial(partial, append))
                    {
                        await CopyWithIdleTimeoutAsync(response, stream, md5, onBytes, cancellationToken).ConfigureAwait(false);
                        stream.Flush(flushToDisk: true);
                    }
                }
                catch (IOException ex)
                {
                    // Reading the body is handled inside the copy; what is left here is the disk.
                    throw new DyplsException("DestinationNotWritable", $"CallId '{MessageText.Shorten(job.CallId)}': could not write '{partial}': {ex.Message}", ex);
                }

                var length = new FileInfo(partial).Length;
                if (total >= 0 && length != total)
                {
                    throw new TransientDownloadException("DownloadIncomplete", $"the transfer ended at {length} of {total} bytes.");
                }
                return Finish(job, url, partial, meta, etag ?? validator, length, append, response, Hex(md5.GetHashAndReset()));
            }
        }

        /// <summary>Verifies the partial file and moves it to its final name.</summary>
        private (string, long, bool, string?) Finish(DownloadJob job, RecordFileUrl url, string partial, string meta, string? etag, long length, bool resumed, HttpResponseMessage response, string? streamedMd5 = null)
        {
            string? md5 = null;
            var expected = etag?.Trim('"');
            if (expected != null && PlainMd5.IsMatch(expected))
            {
                md5 = streamedMd5 ?? Md5Of(partial);
                if (!string.Equals(md5, expected, StringComparison.OrdinalIgnoreCase))
                {
                    DeletePartial(partial, meta);
                    throw new TransientDownloadException("ChecksumMismatch", $"the saved bytes do not match the server's MD5 ({expected}); starting over.");
                }
            }

            var ext = ExtensionFromUrl(url.DownloadUrl) ?? ExtensionFromContentType(response.Content.Headers.ContentType?.MediaType);
            var final = job.FinalPathWithoutExtension + ext;
            try
            {
                if (File.Exists(final))
                {
                    File.Replace(partial, final, null);
                }
                else
                {
                    File.Move(partial, final);
                }
                TryDelete(meta);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new DyplsException("DestinationNotWritable", $"CallId '{MessageText.Shorten(job.CallId)}': could not move the finished download to '{final}': {ex.Message}", ex);
            }
            Trace?.Invoke($"CallId '{MessageText.Shorten(job.CallId)}': saved {length} bytes to '{final}'{(md5 is null ? "" : " (MD5 checked)")}.");
            return (final, length, resumed, md5);
        }

        private async Task CopyWithIdleTimeoutAsync(HttpResponseMessage response, Stream destination, IncrementalHash md5, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            Stream source;
            try
            {
                source = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
            {
                throw new TransientDownloadException("DownloadInterrupted", "the transfer was cut off: " + ex.Message, ex);
            }
            using var sourceScope = source;
            var buffer = new byte[_options.BufferSize];
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            while (true)
            {
                // A stalled body never ends by itself: each read must bring bytes within the idle timeout.
                idle.CancelAfter(_options.IdleTimeout);
                int read;
                try
                {
                    read = await source.ReadAsync(buffer, 0, buffer.Length, idle.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TransientDownloadException("DownloadStalled", $"no data arrived for {_options.IdleTimeout.TotalSeconds:0} s.");
                }
                catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
                {
                    throw new TransientDownloadException("DownloadInterrupted", "the transfer was cut off: " + ex.Message, ex);
                }
                if (read == 0) return;
                try
                {
                    await destination.WriteAsync(buffer, 0, read, cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex)
                {
                    throw new DyplsException("DestinationNotWritable", $"could not write to '{(destination as FileStream)?.Name}': {ex.Message}", ex);
                }
                md5.AppendData(buffer, 0, read);
                onBytes?.Invoke(read);
            }
        }

        private static (long Have, string? Validator, long ExpectedTotal) ReadPartialState(string partial, string meta)
        {
            try
            {
                if (!File.Exists(partial)) return (0, null, -1);
                var have = new FileInfo(partial).Length;
                if (File.Exists(meta))
                {
                    var lines = File.ReadAllLines(meta);
                    var validator = lines.Length > 0 && lines[0].Length > 0 ? lines[0] : null;
                    var total = lines.Length > 1 && long.TryParse(lines[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : -1;
                    // Only resume what can be proven to be the same object.
                    if (validator != null && have > 0) return (have, validator, total);
                }
                return (0, null, -1);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return (0, null, -1);
            }
        }

        private static void WriteMeta(string meta, string? etag, long total)
        {
            try
            {
                File.WriteAllLines(meta, new[] { etag ?? string.Empty, total.ToString(CultureInfo.InvariantCulture) });
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new DyplsException("DestinationNotWritable", $"could not write '{meta}': {ex.Message}", ex);
            }
        }

        private static FileStream OpenPartial(string partial, bool append)
        {
            try
            {
                // FileShare.None: a second process working on the same recording fails instead of interleaving bytes.
                return new FileStream(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new DyplsException("DestinationNotWritable", $"could not write '{partial}': {ex.Message}", ex);
            }
        }

        private static void CreateDirectory(string dir)
        {
            try
            {
                Directory.CreateDirectory(dir);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw new DyplsException("DestinationNotWritable", $"could not create the folder '{dir}': {ex.Message}", ex);
            }
        }

        internal static void DeletePartial(string partial, string meta)
        {
            TryDelete(partial);
            TryDelete(meta);
        }

        private static void TryDelete(string path)
        {
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        private static string Md5Of(string path)
        {
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            HashFile(path, md5);
            return Hex(md5.GetHashAndReset());
        }

        private static void HashFile(string path, IncrementalHash hash)
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            var buffer = new byte[1 << 16];
            int n;
            while ((n = fs.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, n);
        }

        private static string Hex(byte[] bytes) => BitConverter.ToString(bytes).Replace("-", "").ToLowerInvariant();

        /// <summary>
        /// OSS signs neither the scheme nor the port, so an http:// URL on an Alibaba Cloud host is fetched over
        /// HTTPS: the URL is a bearer credential and the recording is personal data.
        /// </summary>
        public static Uri FetchUri(string downloadUrl)
        {
            if (!Uri.TryCreate(downloadUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                throw new DyplsException("InvalidDownloadUrl", $"'{Redaction.RedactUrl(downloadUrl)}' is not an http(s) URL.");
            if (uri.Scheme == Uri.UriSchemeHttp && uri.Host.EndsWith(".aliyuncs.com", StringComparison.OrdinalIgnoreCase))
            {
                var b = new UriBuilder(uri) { Scheme = Uri.UriSchemeHttps, Port = -1 };
                return b.Uri;
            }
            return uri;
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
                default: return ".bin";
            }
        }

        private static async Task<string> SafeBodyAsync(HttpResponseMessage response)
        {
            try
            {
                var s = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                return s.Length > 4096 ? s.Substring(0, 4096) : s;
            }
            catch (Exception ex) when (ex is IOException || ex is HttpRequestException)
            {
                return string.Empty;
            }
        }

        /// <summary>The OSS error Code from an XML body, never the rest (it may quote the StringToSign).</summary>
        private static string OssCode(string body)
        {
            var m = Regex.Match(body, "<Code>([A-Za-z0-9.]{1,64})</Code>");
            return m.Success ? ", " + m.Groups[1].Value : string.Empty;
        }


        private sealed class UrlExpiredException : Exception { }

        private sealed class TransientDownloadException : Exception
        {
            public TransientDownloadException(string errorId, string message, Exception? inner = null) : base(message, inner) { ErrorId = errorId; }
            public string ErrorId { get; }
        }
    }
}
