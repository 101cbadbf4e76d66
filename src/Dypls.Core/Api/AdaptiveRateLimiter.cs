using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Api
{
    /// <summary>
    /// Paces API calls once the service says "Throttling": retrying each throttled row on its own backoff
    /// leaves the quota idle half the time and lets rows run out of attempts. Instead every call waits for
    /// a shared slot. Unlimited until the first throttle; then the rate starts at what actually succeeded in
    /// the last second (or half of what was sent, when nothing got through), drops by 5% on each further
    /// burst of throttles and creeps up 2% per quiet quarter second, so it settles just under the account's
    /// quota and recovers within seconds when another job stops sharing it.
    /// </summary>
    internal sealed class AdaptiveRateLimiter
    {
        private readonly object _lock = new object();
        private readonly Func<DateTimeOffset> _clock;
        private readonly Queue<DateTimeOffset> _recentSuccesses = new Queue<DateTimeOffset>();
        private readonly Queue<DateTimeOffset> _recentAttempts = new Queue<DateTimeOffset>();
        private double? _rate;
        private DateTimeOffset _nextSlot;
        private DateTimeOffset _lastChange;

        public AdaptiveRateLimiter(Func<DateTimeOffset> clock)
        {
            _clock = clock;
        }

        /// <summary>Requests per second now allowed; null while unlimited.</summary>
        public double? Rate
        {
            get { lock (_lock) return _rate; }
        }

        public async Task WaitAsync(CancellationToken cancellationToken)
        {
            TimeSpan wait;
            lock (_lock)
            {
                var now = _clock();
                _recentAttempts.Enqueue(now);
                Trim(now);
                if (_rate is null) return;
                var slot = _nextSlot > now ? _nextSlot : now;
                _nextSlot = slot + TimeSpan.FromSeconds(1 / _rate.Value);
                wait = slot - now;
            }
            if (wait > TimeSpan.Zero) await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }

        public void OnSuccess()
        {
            lock (_lock)
            {
                var now = _clock();
                _recentSuccesses.Enqueue(now);
                Trim(now);
                if (_rate is double r && now - _lastChange >= TimeSpan.FromMilliseconds(250))
                {
                    _rate = r * 1.02;
                    _lastChange = now;
                }
            }
        }

        public void OnThrottled()
        {
            lock (_lock)
            {
                var now = _clock();
                Trim(now);
                if (_rate is null)
                {
                    _rate = Math.Max(1, Math.Max(_recentSuccesses.Count, _recentAttempts.Count / 2.0));
                    _nextSlot = now + TimeSpan.FromSeconds(1 / _rate.Value);
                }
                else if (now - _lastChange >= TimeSpan.FromMilliseconds(250))
                {
                    // Throttles arrive in bursts from requests already sent: one cut per burst.
                    _rate = Math.Max(1, _rate.Value * 0.95);
                }
                _lastChange = now;
            }
        }

        private void Trim(DateTimeOffset now)
        {
            while (_recentSuccesses.Count > 0 && now - _recentSuccesses.Peek() > TimeSpan.FromSeconds(1)) _recentSuccesses.Dequeue();
            while (_recentAttempts.Count > 0 && now - _recentAttempts.Peek() > TimeSpan.FromSeconds(1)) _recentAttempts.Dequeue();
        }
    }
}
