using System.Diagnostics;
using Dypls.Api;
using Dypls.Models;

namespace Dypls.Runs
{
    /// <summary>Get-DyplsRecordUrl's run: one download URL per call record, queried concurrently, in input order.</summary>
    internal sealed class UrlRun : CallRun<RecordingUrl>
    {
        public UrlRun(DyplsApiClient client, int? throttleLimit, bool logging)
            : base(client, throttleLimit, logging, c => c.Slots, _ => null)
        {
        }

        /// <summary>Starts the row (pipeline thread); its outcome comes out of <see cref="RowRun{TResult}.Drain"/>.</summary>
        public void Start(CallRequest call, object row) => Rows.Start(row, async token =>
        {
            var started = Stopwatch.StartNew();
            var answer = await Query.QueryAsync(call, token).ConfigureAwait(false);
            Concurrency.Completed(0, started.Elapsed);
            return RecordingUrl.For(call, answer);
        });
    }
}
