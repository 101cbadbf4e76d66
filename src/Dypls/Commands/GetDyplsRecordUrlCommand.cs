using System.Management.Automation;
using Dypls.Api;
using Dypls.Models;
using Dypls.Runs;

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

        private UrlRun _run = null!;

        private protected override CallRun<RecordingUrl> CreateRun(DyplsApiClient client, int? throttleLimit, bool logging) =>
            _run = new UrlRun(client, throttleLimit, logging);

        private protected override void ProcessCall(CallRequest call, object row)
        {
            if (ShouldProcess($"CallId '{call.CallIdForDisplay}' at {call.CallTimeText} (Beijing) in pool '{call.PoolKey}'", "Get recording download URL"))
            {
                _run.Start(call, row);
            }
        }
    }
}
