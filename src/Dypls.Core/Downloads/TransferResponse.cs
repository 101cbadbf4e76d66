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
                        throw new TransferFailedException("DownloadRangeMismatch", "the server answered a different range than asked for; starting over.", transient: true, restart: true);
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
                    throw new TransferFailedException("DownloadAccessDenied", $"the download server refused the URL (HTTP 403{suffix}).", transient: false, accessDenied: true,
                        expired: body.IndexOf("expired", StringComparison.OrdinalIgnoreCase) >= 0);
                case 404:
                    throw new TransferFailedException("RecordingNotAvailable", $"the recording file is not on the download server (HTTP 404{suffix}). Recordings are kept only for the retention window (14 days on the product page, 30 days in current docs).", transient: false);
                default:
                    if (status >= 500 || status == 408 || status == 429)
                        throw new TransferFailedException("DownloadServerError", $"the download server answered HTTP {status}{suffix}.", transient: true);
                    throw new TransferFailedException("DownloadFailed", $"the download server answered HTTP {status}{suffix}.", transient: false);
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

            // Pooled: a new 64 KB buffer per recording is memory to zero and collect for every recording of a long run.
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
                    throw new TransferFailedException("DownloadInterrupted", "the transfer was cut off: " + ex.Message, transient: true, inner: ex);
                }
                pooled.EndRead();
                if (read == 0) return;
                try
                {
                    // A plain write: it only copies into the page cache, and an asynchronous file write on Unix is a
                    // thread-pool hop per chunk, whose wake-ups cost CPU on a slow, shared link. The read above is what
                    // waits.
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

        private TransferFailedException Stalled() =>
            new TransferFailedException("DownloadStalled", $"no data arrived for {_transfer.IdleTimeout.TotalSeconds:0} s.", transient: true);

        public void Dispose()
        {
            _response.Dispose();
            _request.Dispose();
            _idle.Dispose();
        }
    }
}
