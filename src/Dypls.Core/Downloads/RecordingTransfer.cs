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
                throw new TransferFailedException("DownloadStalled", $"the download server did not answer within {_idleTimeout.TotalSeconds:0} s.", transient: true);
            }
            catch (HttpRequestException ex)
            {
                Dispose(request, idle);
                throw new TransferFailedException("DownloadNetworkError", "the download failed: " + MessageText.Describe(ex), transient: true, inner: ex);
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
}
