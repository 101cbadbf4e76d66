using System;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Http
{
    /// <summary>
    /// Every network wait with an end, on .NET and on .NET Framework. A deadline token is passed down, but on .NET
    /// Framework a cancelled read on a response stream does not return until data comes; so each wait also races a
    /// watchdog task, and a wait that loses disposes the response (which aborts the connection) and is abandoned.
    /// </summary>
    internal sealed class BoundedResponse
    {
        private readonly CancellationToken _deadline;
        private readonly Task _watchdog;

        /// <param name="deadline">Cancelled at the deadline (idle or attempt timeout) or by the caller.</param>
        public BoundedResponse(CancellationToken deadline)
        {
            _deadline = deadline;
            _watchdog = Task.Delay(Timeout.Infinite, deadline);
        }

        /// <summary>Disposed when a wait is abandoned; set once the response is in hand.</summary>
        public IDisposable? Response { get; set; }

        /// <summary>Awaits <paramref name="task"/> or the deadline, whichever comes first; the loser is abandoned.</summary>
        public async Task<T> WaitAsync<T>(Task<T> task)
        {
            if (!task.IsCompleted)
            {
                var first = await Task.WhenAny(task, _watchdog).ConfigureAwait(false);
                if (first != task)
                {
                    Abandon(task);
                    throw new OperationCanceledException(_deadline);
                }
            }
            return await task.ConfigureAwait(false);
        }

        private void Abandon(Task task)
        {
            try { Response?.Dispose(); } catch (Exception) { /* already broken: nothing more to free */ }
            // Observe the abandoned task's eventual failure so it never surfaces as an unobserved exception.
            _ = task.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        /// <summary>
        /// Reads at most <paramref name="maxBytes"/> of the body as UTF-8 within the deadline; what does not fit is dropped.
        /// For error answers: a body that never ends or is huge must not hold a row (or a run) up.
        /// </summary>
        public async Task<string> ReadCappedTextAsync(HttpContent content, int maxBytes)
        {
            var stream = await WaitAsync(content.ReadAsStreamAsync()).ConfigureAwait(false);
            // Pooled: every API answer comes through here.
            var size = Math.Min(maxBytes, 16 * 1024);
            using var pooled = new PooledReadBuffer(size);
            using var collected = new MemoryStream();
            while (collected.Length < maxBytes)
            {
                var want = (int)Math.Min(size, maxBytes - collected.Length);
                pooled.BeginRead();
                var n = await WaitAsync(stream.ReadAsync(pooled.Array, 0, want, _deadline)).ConfigureAwait(false);
                pooled.EndRead();
                if (n == 0) break;
                collected.Write(pooled.Array, 0, n);
            }
            return Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length);
        }
    }
}
