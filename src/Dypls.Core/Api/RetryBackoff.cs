using System;

namespace Dypls.Api
{
    /// <summary>
    /// Exponential backoff with jitter, shared by API calls and downloads: base * 2^(attempt-1), capped,
    /// then scaled by a random factor in [floor, 1] so many rows failing at once do not retry in step.
    /// </summary>
    internal sealed class RetryBackoff
    {
        private readonly TimeSpan _baseDelay;
        private readonly TimeSpan _maxDelay;
        private readonly double _jitterFloor;
        private readonly Random _random = new Random();

        /// <param name="jitterFloor">0 for full jitter; 0.5 keeps at least half of the step.</param>
        public RetryBackoff(TimeSpan baseDelay, TimeSpan maxDelay, double jitterFloor)
        {
            _baseDelay = baseDelay;
            _maxDelay = maxDelay;
            _jitterFloor = jitterFloor;
        }

        public TimeSpan Delay(int attempt)
        {
            var ceiling = Math.Min(_maxDelay.TotalMilliseconds, _baseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 20)));
            double sample;
            lock (_random) sample = _random.NextDouble();
            return TimeSpan.FromMilliseconds(ceiling * (_jitterFloor + (1 - _jitterFloor) * sample));
        }
    }
}
