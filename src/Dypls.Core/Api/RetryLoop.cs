using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Api
{

    /// <summary>
    /// The one retry loop of API calls and downloads: run an attempt, let the caller classify a failure (give up, or wait
    /// and try again), never retry past cancellation. Each caller keeps its own classes and backoff.
    /// </summary>
    internal static class RetryLoop
    {
        /// <param name="attempt">Gets the attempt number, from 1.</param>
        /// <param name="decide">Gets the failure and the attempt number it ended.</param>
        public static async Task<T> RunAsync<T>(Func<int, Task<T>> attempt, Func<Exception, int, RetryStep> decide, CancellationToken cancellationToken)
        {
            var n = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                n++;
                RetryStep step;
                try
                {
                    return await attempt(n).ConfigureAwait(false);
                }
                catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
                {
                    step = decide(ex, n);
                    if (step.GiveUp)
                    {
                        if (step.Replacement != null && !ReferenceEquals(step.Replacement, ex)) throw step.Replacement;
                        throw;
                    }
                }
                if (!step.Counted) n--;
                if (step.Delay > TimeSpan.Zero) await Task.Delay(step.Delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
