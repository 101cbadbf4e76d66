using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Management.Automation;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Concurrency;

namespace Dypls.Pipeline
{
    /// <summary>
    /// Runs per-row work concurrently (at most ThrottleLimit at once) while the pipeline thread keeps
    /// reading input, and hands results back to the pipeline thread in input order. At most
    /// <c>window</c> rows are in flight or waiting, so memory stays flat however long the input is;
    /// a full window blocks the pipeline thread, which holds back the upstream (e.g. Import-Csv).
    /// Workers never touch the cmdlet: they post log lines here, and the pipeline thread writes them.
    /// </summary>
    internal sealed class OrderedParallelRunner<TResult> : IDisposable
    {
        private readonly Queue<Pending> _pending = new Queue<Pending>();
        private readonly DynamicSemaphore _slots;
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly ConcurrentQueue<LogLine> _log = new ConcurrentQueue<LogLine>();
        private readonly ConcurrentDictionary<Task, byte> _running = new ConcurrentDictionary<Task, byte>();

        /// <param name="slots">Rows allowed to run at once; its limit may move (-ThrottleLimit Auto).</param>
        public OrderedParallelRunner(DynamicSemaphore slots)
        {
            _slots = slots;
        }

        // Rows in flight or waiting to be written: a few times the rows that may run, so input streams with flat memory.
        private int Window => Math.Max(_slots.Limit * 4, 16);

        public CancellationToken Token => _cts.Token;

        public int InFlight => _pending.Count;

        public void Cancel()
        {
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        /// <summary>Thread-safe: a worker's verbose or debug line for the pipeline thread to write.</summary>
        public void Verbose(string text) => _log.Enqueue(new LogLine(false, text));

        public void Debug(string text) => _log.Enqueue(new LogLine(true, text));

        /// <summary>Starts <paramref name="work"/> for <paramref name="row"/>; call on the pipeline thread.</summary>
        public Task<TResult> Start(object row, Func<CancellationToken, Task<TResult>> work)
        {
            var token = _cts.Token;
            var task = Task.Run(async () =>
            {
                await _slots.WaitAsync(token).ConfigureAwait(false);
                try
                {
                    return await work(token).ConfigureAwait(false);
                }
                finally
                {
                    _slots.Release();
                }
            }, token);
            _running.TryAdd(task, 0);
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _pending.Enqueue(new Pending(row, task));
            return task;
        }

        /// <summary>
        /// Waits, at most <paramref name="limit"/>, for every started row to finish; call after <see cref="Cancel"/>. Every
        /// step of a row ends promptly once cancelled, so this is short; it makes sure no row touches the destination after
        /// the cmdlet has returned. Safe from any thread.
        /// </summary>
        public bool WaitForWorkers(TimeSpan limit)
        {
            var running = new List<Task>(_running.Keys);
            if (running.Count == 0) return true;
            try
            {
                return Task.WaitAll(running.ToArray(), limit);
            }
            catch (AggregateException)
            {
                return true; // finished, some by failing: that is all this waits for
            }
        }

        /// <summary>
        /// Yields finished rows in input order. With <paramref name="all"/> it waits for every row;
        /// otherwise it returns what is done and waits only while the window is full.
        /// </summary>
        public IEnumerable<Completed> Drain(PSCmdlet cmdlet, bool all, Action? tick = null)
        {
            while (_pending.Count > 0)
            {
                var head = _pending.Peek();
                var mustWait = all || _pending.Count >= Window;
                while (!head.Task.IsCompleted)
                {
                    FlushLog(cmdlet);
                    tick?.Invoke();
                    if (!mustWait) break;
                    // No early exit on cancellation: cancelled rows finish within moments, and the caller must see
                    // them to tell a user's Ctrl+C from a failure that stopped the other rows (which it reports).
                    // Wake often enough to write workers' log lines while waiting.
                    Task.WaitAny(new Task[] { head.Task }, 100);
                }
                if (!head.Task.IsCompleted) break;
                _pending.Dequeue();
                FlushLog(cmdlet);
                yield return new Completed(head.Row, head.Task);
            }
            FlushLog(cmdlet);
            tick?.Invoke();
        }

        /// <summary>Queues a result that is already known (e.g. a skipped file), so it keeps its place in the output order.</summary>
        public void Add(object row, Task<TResult> finished) => _pending.Enqueue(new Pending(row, finished));

        public void FlushLog(PSCmdlet cmdlet)
        {
            // With -Debug alone PowerShell sets the verbose preference to Inquire, which prompts on every
            // line and fails in non-interactive runbooks; the user asked for detail, so give it as debug.
            var bound = cmdlet.MyInvocation.BoundParameters;
            var verboseAsDebug = bound.ContainsKey("Debug") && !bound.ContainsKey("Verbose");
            while (_log.TryDequeue(out var line))
            {
                if (line.IsDebug || verboseAsDebug) cmdlet.WriteDebug(line.Text);
                else cmdlet.WriteVerbose(line.Text);
            }
        }

        /// <summary>Cancels what still runs. The token source is not disposed: workers may still be unwinding.</summary>
        public void Dispose() => Cancel();

        private readonly struct Pending
        {
            public Pending(object row, Task<TResult> task) { Row = row; Task = task; }
            public object Row { get; }
            public Task<TResult> Task { get; }
        }

        private readonly struct LogLine
        {
            public LogLine(bool isDebug, string text) { IsDebug = isDebug; Text = text; }
            public bool IsDebug { get; }
            public string Text { get; }
        }

        internal readonly struct Completed
        {
            public Completed(object row, Task<TResult> task) { Row = row; Task = task; }
            public object Row { get; }
            public Task<TResult> Task { get; }
        }
    }
}
