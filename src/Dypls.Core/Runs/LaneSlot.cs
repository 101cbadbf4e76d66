using System;
using System.Diagnostics;
using System.Threading;
using Dypls.Concurrency;

namespace Dypls.Runs
{
    /// <summary>One slot of a <see cref="Lane"/>, given back once: early by its work, or when the work ends.</summary>
    internal sealed class LaneSlot : IDisposable
    {
        private readonly DynamicSemaphore? _slots;
        private readonly Stopwatch _held = Stopwatch.StartNew();
        private int _released;

        internal LaneSlot(DynamicSemaphore? slots) => _slots = slots;

        /// <summary>How long the slot was (or has been) held.</summary>
        public TimeSpan Held => _held.Elapsed;

        /// <summary>Gives the slot back now; later calls do nothing.</summary>
        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            _held.Stop();
            _slots?.Release();
        }

        void IDisposable.Dispose() => Release();
    }
}
