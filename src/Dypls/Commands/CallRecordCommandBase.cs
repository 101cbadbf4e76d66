using System;
using System.Linq;
using System.Management.Automation;
using Dypls.Api;
using Dypls.Runs;

namespace Dypls.Commands
{
    /// <summary>
    /// A cmdlet that takes call records from the pipeline (CallId, CallTime, PoolKey by property name) and hands them to
    /// its run (<see cref="CallRun{TResult}"/>), which works on them concurrently. This binds, asks ShouldProcess (in the
    /// cmdlet), and writes results, errors, verbose lines and progress on the pipeline thread, in input order. A failure
    /// that would hit every row alike (credentials, signature, clock, a full disk) stops the run once.
    /// </summary>
    public abstract class CallRecordCommandBase<TResult> : DyplsApiCommandBase, IDisposable
    {
        // CallId, CallTime and PoolKey are not Mandatory on purpose: a row without them must reach RowRequest and get
        // MissingCallId (with the -Encoding UTF8 hint when its headers are mojibake) or MissingPoolKey, as docs/errors.md
        // says, instead of PowerShell's InputObjectMissingMandatory; and a runbook is never prompted.
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

        /// <summary>Older accounts' ProductType (such as AXB_170), which stands in for a missing PoolKey.</summary>
        [Parameter(ValueFromPipelineByPropertyName = true)]
        [Alias("product_type")]
        [AllowNull, AllowEmptyString]
        public string? ProductType { get; set; }

        /// <summary>Whole input row, kept only to be the TargetObject of that row's error.</summary>
        [Parameter(ValueFromPipeline = true, DontShow = true)]
        public PSObject? InputObject { get; set; }

        private CallRun<TResult> _run = null!;

        /// <summary>-ThrottleLimit as given: Auto or a number.</summary>
        private protected abstract ThrottleLimit Limit { get; }

        /// <summary>The run this cmdlet hands its rows to; made in BeginProcessing.</summary>
        private protected abstract CallRun<TResult> CreateRun(DyplsApiClient client, int? throttleLimit, bool logging);

        private protected RowRun<TResult> Rows => _run.Rows;

        protected override void BeginProcessing()
        {
            PromptGuard.Apply(this); // before the first WriteDebug: -Debug never prompts (Windows PowerShell 5.1)
            var logging = WantsVerbose();
            _run = CreateRun(CreateClient(), Limit.Value, logging);
        }

        /// <summary>
        /// Whether per-row verbose lines can be seen at all. Decided once: building them (and redacting URLs) for every row
        /// only for PowerShell to drop them cost more CPU than signing the request.
        /// </summary>
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
            ThrowIfStopped();
            var row = (object?)InputObject ?? new PSObject(new { CallId, CallTime, PoolKey });
            CallRequest call;
            try
            {
                call = CallRequest.Parse(CallId, Unwrap(CallTime), PoolKey, () => InputObject?.Properties.Select(p => p.Name) ?? Enumerable.Empty<string>(), ProductType);
            }
            catch (DyplsException ex)
            {
                OnInvalidRow(row, ex);
                WriteError(Record(ex, row));
                WriteResults(all: false);
                return;
            }
            ProcessCall(call, row);
            WriteResults(all: false);
        }

        /// <summary>A row that failed its checks before reaching the run (pipeline thread).</summary>
        private protected virtual void OnInvalidRow(object row, DyplsException error) { }

        /// <summary>Asks ShouldProcess and hands the row to the run (pipeline thread).</summary>
        private protected abstract void ProcessCall(CallRequest call, object row);

        /// <summary>Called on the pipeline thread while results are drained (for progress).</summary>
        private protected virtual void OnPipelineTick() { }

        private protected static object? Unwrap(object? value) => value is PSObject pso ? pso.BaseObject : value;

        protected override void EndProcessing()
        {
            WriteResults(all: true);
            if (_run.EndLine is string line) _run.Rows.Verbose(line);
            FlushLog();
        }

        /// <summary>
        /// How long stopping waits for rows in flight to unwind. Every step of a row ends promptly once cancelled (network
        /// waits are abandoned, the final rename checks the token), so this is a safety bound, not a usual wait.
        /// </summary>
        private static readonly TimeSpan StopWaitLimit = TimeSpan.FromSeconds(15);

        protected override void StopProcessing()
        {
            if (_run is null) return;
            _run.Rows.Cancel();
            // Ctrl+C: nothing may touch the destination once the cmdlet has returned.
            _run.Rows.WaitForWorkers(StopWaitLimit);
        }

        public void Dispose()
        {
            _run?.Dispose();
            GC.SuppressFinalize(this);
        }

        private ErrorRecord? _stopRecord;

        private protected void WriteResults(bool all)
        {
            foreach (var outcome in _run.Rows.Drain(all, Tick))
            {
                switch (outcome.Kind)
                {
                    case RowOutcomeKind.Result:
                        WriteObject(outcome.Result);
                        break;
                    case RowOutcomeKind.Cancelled:
                        throw new PipelineStoppedException();
                    default:
                        WriteError(Record(outcome.Error!, outcome.Row));
                        break;
                }
            }
            ThrowIfStopped();
        }

        private void Tick()
        {
            FlushLog();
            OnPipelineTick();
        }

        /// <summary>Writes the run's queued verbose and debug lines.</summary>
        private void FlushLog()
        {
            // With -Debug alone PowerShell sets the verbose preference to Inquire, which prompts on every line and fails in
            // non-interactive runbooks; the user asked for detail, so it is given as debug.
            var bound = MyInvocation.BoundParameters;
            var verboseAsDebug = bound.ContainsKey("Debug") && !bound.ContainsKey("Verbose");
            while (_run.Rows.TryTakeLine(out var line))
            {
                if (line.IsDebug || verboseAsDebug) WriteDebug(line.Text);
                else WriteVerbose(line.Text);
            }
        }

        /// <summary>Once the run has stopped: what finished is written, then the one error that stopped it.</summary>
        private protected void ThrowIfStopped()
        {
            if (_stopRecord == null)
            {
                var stop = _run?.Rows.Stopped;
                if (stop == null) return;
                _run!.Rows.Cancel();
                _run.Rows.WaitForWorkers(StopWaitLimit);
                // What finished before the failure is still written: the caller sees what was saved.
                _stopRecord = Record(stop.Exception, stop.Row);
                foreach (var outcome in _run.Rows.Drain(all: true, Tick))
                {
                    if (outcome.Kind == RowOutcomeKind.Result) WriteObject(outcome.Result);
                }
                _stopRecord.ErrorDetails = new ErrorDetails(stop.Describe(_run.Rows.Done, _run.Rows.Failed));
            }
            ThrowTerminatingError(_stopRecord);
        }
    }
}
