using System;
using System.Management.Automation;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Models;
using Dypls.Pipeline;

namespace Dypls.Commands
{
    /// <summary>
    /// Get-DyplsRecordUrl: one signed, expiring download URL per call record. Rows are queried
    /// concurrently (-ThrottleLimit); output keeps input order.
    /// </summary>
    [Cmdlet(VerbsCommon.Get, "DyplsRecordUrl", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(RecordingUrl))]
    public sealed class GetDyplsRecordUrlCommand : DyplsApiCommandBase, IDisposable
    {
        [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("call_id", "CallRecordId", "呼叫记录ID", "呼叫ID")]
        [AllowEmptyString]
        public string CallId { get; set; } = string.Empty;

        /// <summary>"yyyy-MM-dd HH:mm:ss" Beijing time, [datetime], [datetimeoffset], or Unix epoch milliseconds.</summary>
        [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("call_time", "StartTime", "呼叫发起时间", "呼叫时间")]
        [AllowNull, AllowEmptyString]
        public object? CallTime { get; set; }

        [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("pool_key", "号码池Key", "号码池")]
        [AllowEmptyString]
        public string PoolKey { get; set; } = string.Empty;

        /// <summary>Whole input row, kept only to be the TargetObject of that row's error.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)]
        public PSObject? InputObject { get; set; }

        /// <summary>Concurrent API calls.</summary>
        [Parameter]
        [ValidateRange(1, 256)]
        public int ThrottleLimit { get; set; } = 16;

        private DyplsApiClient? _client;
        private OrderedParallelRunner<RecordingUrl>? _runner;
        private ErrorRecord? _fatal;

        protected override void BeginProcessing()
        {
            _runner = new OrderedParallelRunner<RecordingUrl>(ThrottleLimit);
            _client = CreateClient();
            var runner = _runner;
            _client.Trace = runner.Verbose;
        }

        protected override void ProcessRecord()
        {
            var runner = _runner!;
            var row = (object?)InputObject ?? new PSObject(new { CallId, CallTime, PoolKey });
            ThrowIfFatal();

            RowRequest request;
            try
            {
                request = RowRequest.Parse(CallId, CallTime, PoolKey);
            }
            catch (DyplsException ex)
            {
                WriteError(new ErrorRecord(ex, ex.ErrorId, ErrorCategory.InvalidArgument, row));
                WriteResults(all: false);
                return;
            }

            if (ShouldProcess($"CallId '{request.CallIdForDisplay}' at {request.CallTime} (Beijing) in pool '{request.PoolKey}'", "Get recording download URL"))
            {
                var client = _client!;
                runner.Start(row, async token =>
                {
                    runner.Verbose($"CallId '{request.CallIdForDisplay}': querying the download URL.");
                    var answer = await client.QueryRecordFileDownloadUrlAsync(request.CallId, request.CallTime, request.PoolKey, token).ConfigureAwait(false);
                    runner.Verbose($"CallId '{request.CallIdForDisplay}': {Redaction.RedactUrl(answer.DownloadUrl)} (expires {answer.ExpiresAt:u}, RequestId {answer.RequestId}).");
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
                });
            }
            WriteResults(all: false);
        }

        protected override void EndProcessing()
        {
            WriteResults(all: true);
        }

        protected override void StopProcessing()
        {
            _runner?.Cancel();
        }

        public void Dispose()
        {
            _runner?.Dispose();
        }

        private void WriteResults(bool all)
        {
            foreach (var done in _runner!.Drain(this, all))
            {
                var task = done.Task;
                if (task.Status == TaskStatus.RanToCompletion)
                {
                    WriteObject(task.Result);
                    continue;
                }
                if (task.IsCanceled)
                {
                    if (_fatal != null) continue; // cancelled because another row hit the fatal error
                    throw new PipelineStoppedException();
                }
                var ex = task.Exception!.GetBaseException();
                if (ex is DyplsApiException api && api.IsAuthenticationFailure)
                {
                    // Every row would fail the same way: stop the others and raise it once.
                    _fatal ??= new ErrorRecord(api, api.ErrorId, CategoryFor(api), done.Row);
                    _runner.Cancel();
                    continue;
                }
                if (ex is OperationCanceledException && _fatal != null) continue;
                var errorId = ex is DyplsException d ? d.ErrorId : "UnexpectedError";
                WriteError(new ErrorRecord(ex, errorId, CategoryFor(ex), done.Row));
            }
            ThrowIfFatal();
        }

        private void ThrowIfFatal()
        {
            if (_fatal != null) ThrowTerminatingError(_fatal);
        }
    }
}
