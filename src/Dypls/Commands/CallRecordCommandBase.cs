using System;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Pipeline;

namespace Dypls.Commands
{
    /// <summary>
    /// A cmdlet that takes call records from the pipeline (CallId, CallTime, PoolKey by property name) and
    /// works on them concurrently. Results and errors are written on the pipeline thread, in input order.
    /// A failure that would hit every row alike (credentials, signature, clock) stops the run once.
    /// </summary>
    public abstract class CallRecordCommandBase<TResult> : DyplsApiCommandBase, IDisposable
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

        private protected OrderedParallelRunner<TResult> Runner { get; private set; } = null!;
        private protected DyplsApiClient Client { get; private set; } = null!;
        private ErrorRecord? _fatal;

        /// <summary>Concurrent rows; each cmdlet sets its own default.</summary>
        private protected abstract int Concurrency { get; }

        protected override void BeginProcessing()
        {
            Runner = new OrderedParallelRunner<TResult>(Concurrency);
            Client = CreateClient();
            Client.Trace = Runner.Verbose;
        }

        protected sealed override void ProcessRecord()
        {
            ThrowIfFatal();
            var row = (object?)InputObject ?? new PSObject(new { CallId, CallTime, PoolKey });
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
            ProcessRow(request, row);
            WriteResults(all: false);
        }

        /// <summary>Validates, asks ShouldProcess and starts the work for one row (pipeline thread).</summary>
        private protected abstract void ProcessRow(RowRequest request, object row);

        /// <summary>Called on the pipeline thread while results are drained (e.g. for progress).</summary>
        private protected virtual void OnPipelineTick() { }

        protected override void EndProcessing()
        {
            WriteResults(all: true);
        }

        protected override void StopProcessing()
        {
            Runner?.Cancel();
        }

        public void Dispose()
        {
            Runner?.Dispose();
        }

        /// <summary>
        /// Wraps a row's work so that an authentication failure (which every row would hit alike) cancels
        /// all other rows at once, from the worker, instead of when the pipeline thread gets to it: that
        /// keeps a wrong secret down to the handful of requests already in flight.
        /// </summary>
        private protected Func<CancellationToken, Task<TResult>> FailFast(object row, Func<CancellationToken, Task<TResult>> work) => async token =>
        {
            try
            {
                return await work(token).ConfigureAwait(false);
            }
            catch (DyplsException ex) when (ex.StopsRun)
            {
                if (Interlocked.CompareExchange(ref _fatalFromWorker, new FatalFailure(ex, row), null) == null) Runner.Cancel();
                throw;
            }
        };

        private sealed class FatalFailure
        {
            public FatalFailure(DyplsException exception, object row) { Exception = exception; Row = row; }
            public DyplsException Exception { get; }
            public object Row { get; }
        }

        private FatalFailure? _fatalFromWorker;

        private protected void WriteResults(bool all)
        {
            foreach (var done in Runner.Drain(this, all, OnPipelineTick))
            {
                var task = done.Task;
                if (task.Status == TaskStatus.RanToCompletion)
                {
                    WriteObject(task.Result);
                    continue;
                }
                var first = Volatile.Read(ref _fatalFromWorker);
                if (first != null)
                {
                    // Every row would fail the same way: raise the first such failure once, whichever row this is.
                    _fatal ??= new ErrorRecord(first.Exception, first.Exception.ErrorId, CategoryFor(first.Exception), first.Row);
                    continue;
                }
                if (task.IsCanceled)
                {
                    throw new PipelineStoppedException();
                }
                var ex = task.Exception!.GetBaseException();
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
