using System;
using System.Linq;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Concurrency;
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
        // CallId, CallTime and PoolKey are not Mandatory on purpose: a row without them must reach RowRequest and get
        // MissingCallId (with the -Encoding UTF8 hint when its headers are mojibake) or MissingPoolKey, as the README's
        // error table says, instead of PowerShell's InputObjectMissingMandatory; and a runbook is never prompted.
        [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
        [Alias("call_id", "CallRecordId", "呼叫记录ID", "呼叫ID")]
        [AllowEmptyString]
        public string CallId { get; set; } = string.Empty;

        /// <summary>"yyyy-MM-dd HH:mm:ss" Beijing time, [datetime], [datetimeoffset], or Unix epoch milliseconds.</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [Alias("call_time", "StartTime", "呼叫发起时间", "呼叫时间")]
        [AllowNull, AllowEmptyString]
        public object? CallTime { get; set; }

        [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
        [Alias("pool_key", "号码池Key", "号码池")]
        [AllowEmptyString]
        public string PoolKey { get; set; } = string.Empty;

        /// <summary>Whole input row, kept only to be the TargetObject of that row's error.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)]
        public PSObject? InputObject { get; set; }

        private protected OrderedParallelRunner<TResult> Runner { get; private set; } = null!;
        private protected DyplsApiClient Client { get; private set; } = null!;
        private ErrorRecord? _fatal;

        /// <summary>-ThrottleLimit as given: Auto or a number.</summary>
        private protected abstract ThrottleLimit Limit { get; }

        /// <summary>The concurrency of this run (fixed, or found as it goes).</summary>
        private protected AdaptiveConcurrency Concurrency { get; private set; } = null!;

        /// <summary>The slots rows run in; by default those of <see cref="Concurrency"/>.</summary>
        private protected virtual DynamicSemaphore RowSlots => Concurrency.Slots;

        protected override void BeginProcessing()
        {
            PromptGuard.Apply(this); // before the first WriteDebug: -Debug never prompts (Windows PowerShell 5.1)
            Concurrency = new AdaptiveConcurrency(Limit.Value);
            ConfigureConcurrency(Concurrency);
            Runner = new OrderedParallelRunner<TResult>(RowSlots);
            Logging = WantsVerbose();
            Concurrency.Changed = Runner.Verbose;
            Client = CreateClient();
            Client.Trace = Logging ? Runner.Verbose : null;
            Client.Congestion = Concurrency.Congested;
        }

        /// <summary>
        /// Whether per-row verbose lines can be seen at all. Decided once: building them (and redacting URLs) for every row
        /// only for PowerShell to drop them cost more CPU than signing the request.
        /// </summary>
        private protected bool Logging { get; private set; }

        private bool WantsVerbose()
        {
            var bound = MyInvocation.BoundParameters;
            // -Verbose given (or -Verbose:$false) decides; with -Debug alone the lines are written as debug lines.
            if (bound.TryGetValue("Verbose", out var verbose)) return LanguagePrimitives.IsTrue(verbose);
            if (bound.TryGetValue("Debug", out var debug) && LanguagePrimitives.IsTrue(debug)) return true;
            return Shows("VerbosePreference") || Shows("DebugPreference");
        }

        private bool Shows(string preferenceVariable)
        {
            var value = GetVariableValue(preferenceVariable);
            if (value is null) return false;
            if (!LanguagePrimitives.TryConvertTo<ActionPreference>(value, out var preference)) return true;
            return preference != ActionPreference.SilentlyContinue && preference != ActionPreference.Ignore;
        }

        protected sealed override void ProcessRecord()
        {
            ThrowIfFatal();
            var row = (object?)InputObject ?? new PSObject(new { CallId, CallTime, PoolKey });
            RowRequest request;
            try
            {
                request = RowRequest.Parse(CallId, CallTime, PoolKey, () => InputObject?.Properties.Select(p => p.Name) ?? Enumerable.Empty<string>());
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

        /// <summary>Set up before the runner exists (e.g. the look-ahead slots of Save-DyplsRecording).</summary>
        private protected virtual void ConfigureConcurrency(AdaptiveConcurrency concurrency) { }

        /// <summary>Validates, asks ShouldProcess and starts the work for one row (pipeline thread).</summary>
        private protected abstract void ProcessRow(RowRequest request, object row);

        /// <summary>Called on the pipeline thread while results are drained (e.g. for progress).</summary>
        private protected virtual void OnPipelineTick() { }

        protected override void EndProcessing()
        {
            WriteResults(all: true);
            if (Concurrency.IsAuto)
            {
                // Through the runner's log, which knows how to write verbose lines when only -Debug was given.
                Runner.Verbose($"-ThrottleLimit Auto ended at {Concurrency.Limit} concurrent rows.");
                Runner.FlushLog(this);
            }
        }

        /// <summary>
        /// How long stopping waits for rows in flight to unwind. Every step of a row ends promptly once cancelled (network
        /// waits are abandoned, the final rename checks the token), so this is a safety bound, not a usual wait.
        /// </summary>
        private protected static readonly TimeSpan StopWaitLimit = TimeSpan.FromSeconds(15);

        protected override void StopProcessing()
        {
            Runner?.Cancel();
            // Ctrl+C: nothing may touch the destination once the cmdlet has returned.
            Runner?.WaitForWorkers(StopWaitLimit);
        }

        public void Dispose()
        {
            Runner?.Dispose();
            GC.SuppressFinalize(this);
        }

        /// <summary>
        /// Wraps a row's work so that a failure every row would hit alike (credentials, a denied action, a full disk) cancels
        /// all other rows at once, from the worker, instead of when the pipeline thread gets to it: that keeps the requests
        /// after it down to those already in flight.
        /// </summary>
        private protected Func<CancellationToken, Task<TResult>> FailFast(object row, Func<CancellationToken, Task<TResult>> work) => async token =>
        {
            try
            {
                return await work(token).ConfigureAwait(false);
            }
            catch (DyplsException ex) when (ex.StopsRun)
            {
                StopRun(ex, row);
                throw;
            }
        };

        /// <summary>
        /// Stops every row because of <paramref name="ex"/> (the first such failure wins). Call it before giving back a slot,
        /// so no waiting row can start a request in between. Any thread.
        /// </summary>
        private protected void StopRun(DyplsException ex, object row)
        {
            if (Interlocked.CompareExchange(ref _fatalFromWorker, new FatalFailure(ex, row), null) == null) Runner.Cancel();
        }

        private sealed class FatalFailure
        {
            public FatalFailure(DyplsException exception, object row) { Exception = exception; Row = row; }
            public DyplsException Exception { get; }
            public object Row { get; }
        }

        private FatalFailure? _fatalFromWorker;
        private bool _stopping;
        private int _rowsDone;
        private int _rowsFailed;

        private protected void WriteResults(bool all)
        {
            foreach (var done in Runner.Drain(this, all, OnPipelineTick))
            {
                var task = done.Task;
                if (task.Status == TaskStatus.RanToCompletion)
                {
                    _rowsDone++;
                    WriteObject(task.Result);
                    continue;
                }
                if (Volatile.Read(ref _fatalFromWorker) != null)
                {
                    // Every row would fail the same way: the first such failure is raised once, below, whichever row this is.
                    continue;
                }
                if (task.IsCanceled)
                {
                    throw new PipelineStoppedException();
                }
                var ex = task.Exception!.GetBaseException();
                if (ex is OperationCanceledException && _fatal != null) continue;
                var errorId = ex is DyplsException d ? d.ErrorId : "UnexpectedError";
                _rowsFailed++;
                WriteError(new ErrorRecord(ex, errorId, CategoryFor(ex), done.Row));
            }
            ThrowIfFatal();
        }

        private void ThrowIfFatal()
        {
            if (_fatal == null)
            {
                var first = Volatile.Read(ref _fatalFromWorker);
                if (first == null || _stopping) return;
                _stopping = true;
                Runner.Cancel();
                Runner.WaitForWorkers(StopWaitLimit);
                // What finished before the failure is still written: the caller sees what was saved.
                WriteResults(all: true);
                _fatal = new ErrorRecord(first.Exception, first.Exception.ErrorId, CategoryFor(first.Exception), first.Row)
                {
                    ErrorDetails = new ErrorDetails(first.Exception.Message +
                        $" The run stopped here: {_rowsDone} row(s) finished, {_rowsFailed} failed on their own, the rest were not done; run the same command again once this is fixed."),
                };
            }
            ThrowTerminatingError(_fatal);
        }
    }
}
