using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Concurrency;

namespace Dypls.Runs
{
    /// <summary>
    /// Runs per-row work concurrently while the pipeline thread keeps reading input, and hands the outcomes back to the
    /// pipeline thread in input order. At most a window of rows is in flight or waiting, so memory stays flat however long
    /// the input is; a full window blocks the pipeline thread, which holds back the upstream (such as Import-Csv). Workers
    /// never touch the caller: they queue log lines here, and the pipeline thread writes them. Holds the run's stop rule:
    /// the first failure every row would hit alike cancels every row, once (see <see cref="Lane"/>).
    /// </summary>
    internal sealed class RowRun<TResult> : IDisposable
    {
        private readonly Queue<Pending> _pending = new Queue<Pending>();
        private readonly DynamicSemaphore _rowSlots;
        private readonly CancellationTokenSource _cts = new CancellationTokenSource();
        private readonly ConcurrentQueue<RunLogLine> _log = new ConcurrentQueue<RunLogLine>();
        private readonly ConcurrentDictionary<Task, byte> _running = new ConcurrentDictionary<Task, byte>();
        private RunStop? _stop;

        /// <param name="rowSlots">Rows allowed to run at once; its limit may move (-ThrottleLimit Auto).</param>
        public RowRun(DynamicSemaphore rowSlots)
        {
            _rowSlots = rowSlots;
            Rows = new Lane(rowSlots, Stop);
        }

        /// <summary>The lane every row runs in.</summary>
        public Lane Rows { get; }

        /// <summary>A further lane of this run (API calls, downloads), under the same stop rule. Null slots: no limit of its own.</summary>
        public Lane NewLane(DynamicSemaphore? slots) => new Lane(slots, Stop);

        // Rows in flight or waiting to be written: a few times the rows that may run, so input streams with flat memory.
        private int Window => Math.Max(_rowSlots.Limit * 4, 16);

        public CancellationToken Token => _cts.Token;

        /// <summary>Rows handed in so far.</summary>
        public int Seen { get; private set; }

        /// <summary>Rows handed in and not yet drained.</summary>
        public int InFlight => _pending.Count;

        /// <summary>Rows drained with a result.</summary>
        public int Done { get; private set; }

        /// <summary>Rows drained with an error of their own.</summary>
        public int Failed { get; private set; }

        /// <summary>The failure that stopped the run, or null. Any thread.</summary>
        public RunStop? Stopped => Volatile.Read(ref _stop);

        /// <summary>Stops every row because of <paramref name="failure"/>; the first such failure wins. Any thread.</summary>
        public void Stop(DyplsException failure)
        {
            if (Interlocked.CompareExchange(ref _stop, new RunStop(failure), null) == null) Cancel();
        }

        /// <summary>Stops every row because of <paramref name="failure"/> on <paramref name="row"/> (as <see cref="Stop(DyplsException)"/>).</summary>
        public void Stop(DyplsException failure, object row)
        {
            Stop(failure);
            var stop = Stopped!;
            if (ReferenceEquals(stop.Exception, failure) && stop.Row is null) stop.Row = row;
        }

        /// <summary>Cancels every row (Ctrl+C, or a stop).</summary>
        public void Cancel()
        {
            try { _cts.Cancel(); } catch (ObjectDisposedException) { }
        }

        /// <summary>A worker's verbose line for the pipeline thread to write. Any thread.</summary>
        public void Verbose(string text) => _log.Enqueue(new RunLogLine(false, text));

        /// <summary>A worker's debug line for the pipeline thread to write. Any thread.</summary>
        public void Debug(string text) => _log.Enqueue(new RunLogLine(true, text));

        /// <summary>The next queued log line, if any; the pipeline thread writes them.</summary>
        public bool TryTakeLine(out RunLogLine line) => _log.TryDequeue(out line);

        /// <summary>Starts <paramref name="work"/> for <paramref name="row"/> in a row slot; call on the pipeline thread.</summary>
        public Task<TResult> Start(object row, Func<CancellationToken, Task<TResult>> work)
        {
            var token = _cts.Token;
            var task = Task.Run(async () =>
            {
                try
                {
                    return await Rows.RunAsync(_ => work(token), token).ConfigureAwait(false);
                }
                catch (DyplsException ex) when (ex.StopsRun)
                {
                    Stop(ex, row); // the lane has stopped the run already; this names the row
                    throw;
                }
            }, token);
            _running.TryAdd(task, 0);
            _ = task.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            Enqueue(row, task);
            return task;
        }

        /// <summary>Queues an outcome that is already known (a skipped file, a bad row), so it keeps its place in the order.</summary>
        public void Add(object row, Task<TResult> finished) => Enqueue(row, finished);

        private void Enqueue(object row, Task<TResult> task)
        {
            Seen++;
            _pending.Enqueue(new Pending(row, task));
        }

        /// <summary>
        /// Waits, at most <paramref name="limit"/>, for every started row to finish; call after <see cref="Cancel"/>. Every
        /// step of a row ends promptly once cancelled, so this is short; it makes sure no row touches the destination after
        /// the caller has returned. Any thread.
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
        /// Yields finished rows in input order. With <paramref name="all"/> it waits for every row; otherwise it returns what
        /// is done and waits only while the window is full. <paramref name="tick"/> runs on this thread while it waits (to
        /// write log lines and progress). Once the run has stopped, failed rows are not yielded: the stop is the one error.
        /// </summary>
        public IEnumerable<RowOutcome<TResult>> Drain(bool all, Action tick)
        {
            while (_pending.Count > 0)
            {
                var head = _pending.Peek();
                var mustWait = all || _pending.Count >= Window;
                while (!head.Task.IsCompleted)
                {
                    tick();
                    if (!mustWait) break;
                    // No early exit on cancellation: cancelled rows finish within moments, and the caller must see them to
                    // tell a user's Ctrl+C from a failure that stopped the other rows. Wake often enough to write log lines.
                    Task.WaitAny(new Task[] { head.Task }, 100);
                }
                if (!head.Task.IsCompleted) break;
                _pending.Dequeue();
                tick();
                var task = head.Task;
                if (task.Status == TaskStatus.RanToCompletion)
                {
                    Done++;
                    yield return new RowOutcome<TResult>(head.Row, RowOutcomeKind.Result, task.Result, null);
                    continue;
                }
                if (Stopped != null) continue;
                if (task.IsCanceled)
                {
                    yield return new RowOutcome<TResult>(head.Row, RowOutcomeKind.Cancelled, default!, null);
                    continue;
                }
                Failed++;
                yield return new RowOutcome<TResult>(head.Row, RowOutcomeKind.Failed, default!, task.Exception!.GetBaseException());
            }
            tick();
        }

        /// <summary>Cancels what still runs. The token source is not disposed: workers may still be unwinding.</summary>
        public void Dispose() => Cancel();

        private readonly struct Pending
        {
            public Pending(object row, Task<TResult> task)
            {
                Row = row;
                Task = task;
            }

            public object Row { get; }
            public Task<TResult> Task { get; }
        }
    }
}
