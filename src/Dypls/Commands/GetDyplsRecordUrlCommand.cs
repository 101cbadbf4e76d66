using System.Management.Automation;
using Dypls.Models;

namespace Dypls.Commands
{
    /// <summary>
    /// Get-DyplsRecordUrl: one signed, expiring download URL per call record. Rows are queried
    /// concurrently (-ThrottleLimit); output keeps input order.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DyplsRecordUrl", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(RecordingUrl))]
    public sealed class GetDyplsRecordUrlCommand : CallRecordCommandBase<RecordingUrl>
    {
        /// <summary>Concurrent API calls: Auto (default) finds the level that gives the most URLs per second; or a number from 1 to 256.</summary>
        [Parameter]
        [ValidateNotNull]
        [ArgumentCompleter(typeof(Completion.ThrottleLimitCompleter))]
        public ThrottleLimit ThrottleLimit { get; set; } = ThrottleLimit.Auto;

        private protected override ThrottleLimit Limit => ThrottleLimit;

        private protected override void ProcessRow(RowRequest request, object row)
        {
            if (!ShouldProcess($"CallId '{request.CallIdForDisplay}' at {request.CallTime} (Beijing) in pool '{request.PoolKey}'", "Get recording download URL"))
            {
                return;
            }
            var runner = Runner;
            var client = Client;
            var concurrency = Concurrency;
            var logging = Logging;
            runner.Start(row, FailFast(row, async token =>
            {
                if (logging) runner.Verbose($"CallId '{request.CallIdForDisplay}': querying the download URL.");
                var started = System.Diagnostics.Stopwatch.StartNew();
                var answer = await client.QueryRecordFileDownloadUrlAsync(request.CallId, request.CallTime, request.PoolKey, token).ConfigureAwait(false);
                if (logging) runner.Verbose($"CallId '{request.CallIdForDisplay}': {Redaction.RedactUrl(answer.DownloadUrl)} (expires {answer.ExpiresAt:u}, RequestId {answer.RequestId}).");
                concurrency.Completed(0, started.Elapsed);
                return new RecordingUrl
                {
                    CallId = request.CallId,
                    CallTime = request.CallTime,
                    PoolKey = request.PoolKey,
                    Url = answer.DownloadUrl,
                    ExpiresAt = answer.ExpiresAt,
                    RequestId = answer.RequestId,
                    Attempts = answer.Attempts,
                };
            }));
        }
    }
}
