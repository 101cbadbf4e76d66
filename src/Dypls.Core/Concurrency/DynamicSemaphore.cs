using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Concurrency
{
    /// <summary>
    /// A semaphore whose limit can move while work is in flight: raising it frees slots at once; lowering it takes slots
    /// back as work finishes (nothing running is interrupted).
    /// </summary>
    [SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "SemaphoreSlim holds no OS handle unless AvailableWaitHandle is read (never here), and a late Release after Dispose would throw.")]
    internal sealed class DynamicSemaphore
    {
        private readonly SemaphoreSlim _slots;
        private readonly object _lock = new object();
        private int _limit;
        private int _debt; // slots to keep when they come back, after a lowering

        public DynamicSemaphore(int limit, int ceiling)
        {
            if (limit < 1 || limit > ceiling) throw new ArgumentOutOfRangeException(nameof(limit));
            Ceiling = ceiling;
            _limit = limit;
            _slots = new SemaphoreSlim(limit, ceiling);
        }

        public int Ceiling { get; }

        public int Limit
        {
            get { lock (_lock) return _limit; }
            set
            {
                var target = Math.Max(1, Math.Min(Ceiling, value));
                int release = 0;
                lock (_lock)
                {
                    if (target > _limit)
                    {
                        var more = target - _limit;
                        var forgiven = Math.Min(more, _debt);
                        _debt -= forgiven;
                        release = more - forgiven;
                    }
                    else
                    {
                        _debt += _limit - target;
                    }
                    _limit = target;
                }
                if (release > 0) _slots.Release(release);
            }
        }

        /// <summary>Slots free right now (0 when every slot is in use or owed back after a lowering).</summary>
        public int Available
        {
            get
            {
                lock (_lock) return Math.Max(0, _slots.CurrentCount - _debt);
            }
        }

        public Task WaitAsync(CancellationToken cancellationToken) => _slots.WaitAsync(cancellationToken);

        public void Release()
        {
            lock (_lock)
            {
                if (_debt > 0)
                {
                    _debt--;
                    return;
                }
            }
            _slots.Release();
        }
    }
}
