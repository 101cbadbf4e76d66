using System;
using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Http;

namespace Dypls.Downloads
{
    /// <summary>
    /// One GET of a recording: Range and If-Range when resuming, every wait bounded by the idle timeout, the MD5 taken of
    /// the bytes as they arrive. Knows HTTP and nothing about file names: the caller hands it the stream to write to.
    /// </summary>
    internal sealed class RecordingTransfer
    {
        /// <summary>Of an error body only the OSS Code is used; more than this is never read.</summary>
        public const int MaxErrorBodyBytes = 16 * 1024;

        private static readonly Regex OssCodePattern = new Regex("<Code>([A-Za-z0-9.]{1,64})</Code>", RegexOptions.CultureInvariant);

        private readonly HttpClient _http;
        private readonly TimeSpan _idleTimeout;
        private readonly int _bufferSize;

        public RecordingTransfer(HttpClient http, TimeSpan idleTimeout, int bufferSize = 64 * 1024)
        {
            _http = http;
            _idleTimeout = idleTimeout;
            _bufferSize = bufferSize;
        }

        public TimeSpan IdleTimeout => _idleTimeout;

        /// <summary>Where copy buffers come from; tests count what goes back.</summary>
        internal ArrayPool<byte> BufferPool { get; set; } = ArrayPool<byte>.Shared;

        /// <summary>
        /// Sends the GET and reads the headers. <paramref name="resumeFrom"/> &gt; 0 asks for the rest of the object, guarded by
        /// <paramref name="ifRange"/> so a changed object comes back whole (200) instead of a mismatched tail.
        /// </summary>
        public async Task<TransferResponse> OpenAsync(Uri uri, long resumeFrom, string? ifRange, CancellationToken cancellationToken)
        {
            var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var bounded = new BoundedResponse(idle.Token);
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            if (resumeFrom > 0)
            {
                request.Headers.Range = new RangeHeaderValue(resumeFrom, null);
                if (ifRange != null) request.Headers.TryAddWithoutValidation("If-Range", ifRange);
            }
            idle.CancelAfter(_idleTimeout);
            HttpResponseMessage response;
            try
            {
                response = await bounded.WaitAsync(_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                Dispose(request, idle);
                throw new TransferFailure("DownloadStalled", $"the download server did not answer within {_idleTimeout.TotalSeconds:0} s.", transient: true);
            }
            catch (HttpRequestException ex)
            {
                Dispose(request, idle);
                throw new TransferFailure("DownloadNetworkError", "the download failed: " + MessageText.Describe(ex), transient: true, inner: ex);
            }
            catch
            {
                Dispose(request, idle);
                throw;
            }
            bounded.Response = response;
            var result = new TransferResponse(this, request, response, idle, bounded, resumeFrom);
            try
            {
                await result.ClassifyAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch
            {
                result.Dispose();
                throw;
            }
        }

        private static void Dispose(HttpRequestMessage request, CancellationTokenSource idle)
        {
            request.Dispose();
            idle.Dispose();
        }

        internal static string OssCode(string body)
        {
            var m = OssCodePattern.Match(body);
            return m.Success ? m.Groups[1].Value : string.Empty;
        }

        internal int BufferSize => _bufferSize;
    }

    internal enum TransferKind
    {
        /// <summary>200: the whole object, from byte 0.</summary>
        Whole,

        /// <summary>206: the rest of the object, from the offset asked for.</summary>
        Rest,

        /// <summary>416 on a resume: nothing is left to send; the saved bytes may already be the whole object.</summary>
        NothingLeft,
    }

    /// <summary>An open download whose headers have been read; owns the HTTP response.</summary>
    internal sealed class TransferResponse : IDisposable
    {
        private readonly RecordingTransfer _transfer;
        private readonly HttpRequestMessage _request;
        private readonly HttpResponseMessage _response;
        private readonly CancellationTokenSource _idle;
        private readonly BoundedResponse _bounded;
        private readonly long _resumeFrom;

        internal TransferResponse(RecordingTransfer transfer, HttpRequestMessage request, HttpResponseMessage response, CancellationTokenSource idle, BoundedResponse bounded, long resumeFrom)
        {
            _transfer = transfer;
            _request = request;
            _response = response;
            _idle = idle;
            _bounded = bounded;
            _resumeFrom = resumeFrom;
        }

        public TransferKind Kind { get; private set; }

        /// <summary>The object's full length; -1 when the server did not say.</summary>
        public long Total { get; private set; } = -1;

        /// <summary>The ETag as sent (quoted), the validator for a later If-Range.</summary>
        public string? ETag => _response.Headers.ETag?.Tag;

        public string? MediaType => _response.Content.Headers.ContentType?.MediaType;

        internal async Task ClassifyAsync(CancellationToken cancellationToken)
        {
            var status = (int)_response.StatusCode;
            switch (status)
            {
                case 200:
                    Kind = TransferKind.Whole;
                    Total = _response.Content.Headers.ContentLength ?? -1;
                    return;
                case 206:
                    var range = _response.Content.Headers.ContentRange;
                    if (range?.From != _resumeFrom || range.Length is null)
                        throw new TransferFailure("DownloadRangeMismatch", "the server answered a different range than asked for; starting over.", transient: true, restart: true);
                    Kind = TransferKind.Rest;
                    Total = range.Length.Value;
                    return;
                case 416 when _resumeFrom > 0:
                    Kind = TransferKind.NothingLeft;
                    return;
            }

            var body = await ErrorBodyAsync(cancellationToken).ConfigureAwait(false);
            var code = RecordingTransfer.OssCode(body);
            var suffix = code.Length > 0 ? ", " + code : string.Empty;
            switch (status)
            {
                case 403:
                    throw new TransferFailure("DownloadAccessDenied", $"the download server refused the URL (HTTP 403{suffix}).", transient: false, accessDenied: true,
                        expired: body.IndexOf("expired", StringComparison.OrdinalIgnoreCase) >= 0);
                case 404:
                    throw new TransferFailure("RecordingNotAvailable", $"the recording file is not on the download server (HTTP 404{suffix}). Recordings are kept only for the retention window (14 days on the product page, 30 days in current docs).", transient: false);
                default:
                    if (status >= 500 || status == 408 || status == 429)
                        throw new TransferFailure("DownloadServerError", $"the download server answered HTTP {status}{suffix}.", transient: true);
                    throw new TransferFailure("DownloadFailed", $"the download server answered HTTP {status}{suffix}.", transient: false);
            }
        }

        /// <summary>The start of an error body, within the idle timeout; a body that never ends or fails yields nothing.</summary>
        private async Task<string> ErrorBodyAsync(CancellationToken cancellationToken)
        {
            try
            {
                return await _bounded.ReadCappedTextAsync(_response.Content, RecordingTransfer.MaxErrorBodyBytes).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return string.Empty;
            }
            catch (Exception ex) when (ex is IOException || ex is HttpRequestException || ex is ObjectDisposedException)
            {
                return string.Empty;
            }
        }

        /// <summary>
        /// Copies the body to <paramref name="destination"/>, adding each block to <paramref name="hash"/>. A stretch of the idle
        /// timeout with no data ends the transfer (DownloadStalled); Ctrl+C ends it at once.
        /// </summary>
        public async Task CopyToAsync(Stream destination, IncrementalHash hash, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            // The headers were read with ResponseHeadersRead, so the body stream is already there (on .NET and on the .NET
            // Framework): this never waits and never fails; a broken or stalled body shows at the first read below.
            var source = await _response.Content.ReadAsStreamAsync().ConfigureAwait(false);

            // Pooled: a new 64 KB buffer per recording was 128 MB to zero and collect per 2,000 recordings.
            using var pooled = new PooledReadBuffer(_transfer.BufferSize, _transfer.BufferPool);
            var buffer = pooled.Array;
            while (true)
            {
                // A stalled body never ends by itself: each read must bring bytes within the idle timeout.
                _idle.CancelAfter(_transfer.IdleTimeout);
                int read;
                pooled.BeginRead();
                try
                {
                    read = await _bounded.WaitAsync(source.ReadAsync(buffer, 0, _transfer.BufferSize, _idle.Token)).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw Stalled();
                }
                catch (Exception ex) when (ex is IOException || ex is HttpRequestException || ex is ObjectDisposedException)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    throw new TransferFailure("DownloadInterrupted", "the transfer was cut off: " + ex.Message, transient: true, inner: ex);
                }
                pooled.EndRead();
                if (read == 0) return;
                try
                {
                    // A plain write: it only copies into the page cache, and an asynchronous file write on Unix is a
                    // thread-pool hop per chunk (measured: thread-pool wake-ups and their spinning were the largest CPU cost
                    // of a slow, shared link). The read above is what waits.
                    destination.Write(buffer, 0, read);
                }
                catch (IOException ex)
                {
                    throw StorageErrors.ForWrite(ex, "write", (destination as FileStream)?.Name ?? "the partial file");
                }
                hash.AppendData(buffer, 0, read);
                onBytes?.Invoke(read);
            }
        }

        private TransferFailure Stalled() =>
            new TransferFailure("DownloadStalled", $"no data arrived for {_transfer.IdleTimeout.TotalSeconds:0} s.", transient: true);

        public void Dispose()
        {
            _response.Dispose();
            _request.Dispose();
            _idle.Dispose();
        }
    }

    /// <summary>A failed download attempt, before the row's context is added.</summary>
    [SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "Never escapes the save engine (it becomes the row's DyplsException); the short name reads as the attempt's outcome.")]
    internal sealed class TransferFailure : Exception
    {
        public TransferFailure(string errorId, string message, bool transient, bool restart = false, bool accessDenied = false, bool expired = false, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Transient = transient;
            Restart = restart;
            AccessDenied = accessDenied;
            Expired = expired;
        }

        public string ErrorId { get; }

        /// <summary>Worth another attempt (resuming what was saved).</summary>
        public bool Transient { get; }

        /// <summary>What was saved cannot be continued: start the partial file over.</summary>
        public bool Restart { get; }

        /// <summary>HTTP 403: the URL was refused; when it has expired, a fresh URL may help.</summary>
        public bool AccessDenied { get; }

        /// <summary>The 403 said the URL has expired ("Request has expired").</summary>
        public bool Expired { get; }
    }
}
