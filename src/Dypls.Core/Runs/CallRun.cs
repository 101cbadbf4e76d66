using System;
using Dypls.Api;
using Dypls.Concurrency;

namespace Dypls.Runs
{
    /// <summary>
    /// What every run over call records has: the concurrency (-ThrottleLimit, fixed or found as it goes), the rows in input
    /// order with the stop rule (<see cref="RowRun{TResult}"/>), and the one way to the API (<see cref="UrlQuery"/>).
    /// </summary>
    internal abstract class CallRun<TResult> : IDisposable
    {
        /// <param name="throttleLimit">A fixed limit, or null for Auto.</param>
        /// <param name="logging">Whether per-row verbose lines are wanted at all (building them costs CPU).</param>
        /// <param name="rowSlots">The slots rows run in, given the run's concurrency.</param>
        /// <param name="apiSlots">The slots API calls run in, or null when the row slots already bound them.</param>
        private protected CallRun(DyplsApiClient client, int? throttleLimit, bool logging,
            Func<AdaptiveConcurrency, DynamicSemaphore> rowSlots, Func<AdaptiveConcurrency, DynamicSemaphore?> apiSlots)
        {
            Concurrency = new AdaptiveConcurrency(throttleLimit);
            var api = apiSlots(Concurrency);
            Rows = new RowRun<TResult>(rowSlots(Concurrency));
            Logging = logging;
            Trace = logging ? Rows.Verbose : null;
            Concurrency.Changed = Rows.Verbose;
            client.Trace = Trace;
            client.Congestion = Concurrency.Congested;
            Query = new UrlQuery(client, Rows.NewLane(api), Trace);
        }

        public RowRun<TResult> Rows { get; }

        public AdaptiveConcurrency Concurrency { get; }

        public bool Logging { get; }

        /// <summary>Writes a verbose line when <see cref="Logging"/>; null otherwise.</summary>
        private protected Action<string>? Trace { get; }

        private protected UrlQuery Query { get; }

        /// <summary>The run's last verbose word, or null: where -ThrottleLimit Auto settled.</summary>
        public string? EndLine => Concurrency.IsAuto ? $"-ThrottleLimit Auto ended at {Concurrency.Limit} concurrent rows." : null;

        public void Dispose() => Rows.Dispose();
    }
}
