using System;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Concurrency;

namespace Dypls.Runs
{
    /// <summary>
    /// One kind of work a run limits (rows, API calls, downloads), with the run's one stop rule: work that fails in a way
    /// every row would (credentials, a denied action, a full disk) stops the run before its slot is given back, so no
    /// waiting row can start a request in between.
    /// </summary>
    internal sealed class Lane
    {
        private readonly DynamicSemaphore? _slots;
        private readonly Action<DyplsException> _stopRun;

        /// <param name="slots">The slots; their limit may move (-ThrottleLimit Auto). Null: no limit.</param>
        /// <param name="stopRun">Stops the run (first failure wins); called on the worker, before the slot goes back.</param>
        public Lane(DynamicSemaphore? slots, Action<DyplsException> stopRun)
        {
            _slots = slots;
            _stopRun = stopRun;
        }

        /// <summary>No limit, and no run to stop (a saver used on its own).</summary>
        public static Lane Unbounded { get; } = new Lane(null, _ => { });

        /// <summary>Slots allowed at once now; <see cref="int.MaxValue"/> without a limit.</summary>
        public int Limit => _slots?.Limit ?? int.MaxValue;

        /// <summary>
        /// Runs <paramref name="work"/> in a slot of this lane. The work may give its slot back early
        /// (<see cref="LaneSlot.Release"/>, once what needs the slot is done); otherwise it goes back when the work ends.
        /// </summary>
        public async Task<T> RunAsync<T>(Func<LaneSlot, Task<T>> work, CancellationToken cancellationToken)
        {
            if (_slots != null) await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            using var slot = new LaneSlot(_slots);
            // A waiter can be handed the slot a stop has just given back before its cancellation is seen (Mono's
            // SemaphoreSlim does that): once the run has stopped, no work starts.
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await work(slot).ConfigureAwait(false);
            }
            catch (DyplsException ex) when (ex.StopsRun)
            {
                _stopRun(ex); // before the slot goes back (at the end of this block)
                throw;
            }
        }
    }
}
