using System;
using System.Diagnostics;
using System.Globalization;

namespace Dypls.Concurrency
{
    /// <summary>
    /// How many recordings are in flight. Fixed, or (Auto) found in two phases. A slow start, as TCP's: every completion
    /// while all slots are busy adds a slot (the limit doubles once per row's time), until a row's time in a slot rises to
    /// twice the lowest seen (a queue is forming somewhere: link, server or CPU) or congestion shows; it then settles where
    /// Little's law says the same throughput needs no queue. After that, hill climbing on measured throughput: probe
    /// upwards now and then, keep a step while recordings/s or bytes/s improve, step back when more stops helping, back
    /// off on congestion (throttling, timeouts, connection errors). Per run; nothing is kept. Thread-safe.
    /// </summary>
    internal sealed class AdaptiveConcurrency
    {
        /// <summary>The most Auto ever uses: beyond this, one process gains nothing but sockets.</summary>
        public const int DefaultCeiling = 256;

        /// <summary>
        /// Where Auto starts: twice 0.1's fixed default, as AzCopy does on small machines; the slow start finds the rest
        /// within a few rows' time.
        /// </summary>
        public const int AutoStart = 32;

        // An epoch must see enough completions, and last long enough, to say anything about throughput.
        private static readonly TimeSpan MinEpoch = TimeSpan.FromMilliseconds(750);
        private const int MinEpochCompletions = 6;
        private const double Better = 1.10;   // +10% counts as "more helped"
        private const int HoldEpochs = 4;     // epochs to stay put after settling or backing off

        // Slow start. Two signs end it, whichever comes first:
        // - a row's time in a slot, smoothed over about 8 rows, reaches twice its lowest value (a queue). The first 8 rows
        //   are left out (connections being opened, code being compiled), and smoothing rather than the single fastest
        //   row keeps a mix of small and large recordings from looking like a queue;
        // - a doubling of the limit (a round) brings less than a quarter more recordings/s and bytes/s than the round
        //   before: the limit is no longer what holds throughput back, whatever the row times say.
        private const int WarmUpSamples = 8;
        private const double QueueFactor = 2.0;
        private const double RoundGain = 1.25;
        private bool _slowStart;
        private int _samples;
        private double _recentLatency = -1;
        private double _baseLatency = double.MaxValue;
        private int _lastReported;
        private TimeSpan _roundStart;
        private bool _roundStarted; // rounds are timed from the first finished row: the first rows' own latency is no rate
        private int _roundLimit;
        private int _roundDone;
        private long _roundBytes;
        private double _prevRoundRate = -1, _prevRoundByteRate = -1;

        private readonly object _lock = new object();
        private readonly Func<TimeSpan> _elapsed;
        private readonly System.Collections.Generic.List<(DynamicSemaphore Slots, double Factor)> _followers = new System.Collections.Generic.List<(DynamicSemaphore, double)>();

        private TimeSpan _epochStart;
        private double _latencySeconds = -1; // moving average of one row's time in a slot
        private int _epochDone;
        private long _epochBytes;
        private int _epochCongested;

        private double _lastRate = -1, _lastByteRate = -1;
        private int _lastLimit;
        private bool _climbing = true;
        private int _hold;

        /// <param name="fixedLimit">A number from -ThrottleLimit; null for Auto.</param>
        /// <param name="ceiling">Upper bound for Auto (and for followers).</param>
        /// <param name="elapsed">Time since start; tests replace it.</param>
        public AdaptiveConcurrency(int? fixedLimit, int ceiling = DefaultCeiling, Func<TimeSpan>? elapsed = null)
        {
            IsAuto = fixedLimit is null;
            Ceiling = Math.Max(1, ceiling);
            var start = fixedLimit ?? Math.Min(AutoStart, Ceiling);
            Slots = new DynamicSemaphore(Math.Min(start, Ceiling), Math.Max(Ceiling, start));
            var watch = Stopwatch.StartNew();
            _elapsed = elapsed ?? (() => watch.Elapsed);
            _epochStart = _elapsed();
            _lastLimit = Slots.Limit;
            _slowStart = IsAuto;
            _lastReported = Slots.Limit;
            _roundLimit = Slots.Limit;
        }

        /// <summary>True while Auto is still in its slow start.</summary>
        public bool InSlowStart
        {
            get { lock (_lock) return _slowStart; }
        }

        public bool IsAuto { get; }

        public int Ceiling { get; }

        /// <summary>The slots whose limit this controls.</summary>
        public DynamicSemaphore Slots { get; }

        public int Limit => Slots.Limit;

        /// <summary>What the last change was and why, for -Verbose; raised on the thread that reported the completion.</summary>
        public Action<string>? Changed { get; set; }

        /// <summary>
        /// Slots whose limit follows this one at <paramref name="factor"/> times (e.g. rows allowed to hold a URL while they
        /// wait for a download slot), up to <paramref name="ceiling"/>.
        /// </summary>
        public DynamicSemaphore AddFollower(double factor, int ceiling)
        {
            lock (_lock)
            {
                var follower = new DynamicSemaphore(Math.Min(ceiling, Math.Max(1, (int)Math.Ceiling(Slots.Limit * factor))), ceiling);
                _followers.Add((follower, factor));
                return follower;
            }
        }

        /// <summary>A recording (or URL) finished: <paramref name="bytes"/> it brought, <paramref name="duration"/> it held a slot.</summary>
        public void Completed(long bytes, TimeSpan duration)
        {
            lock (_lock)
            {
                _epochDone++;
                _epochBytes += bytes;
                var d = duration.TotalSeconds;
                _latencySeconds = _latencySeconds < 0 ? d : _latencySeconds * 0.9 + d * 0.1;
                if (_slowStart)
                {
                    if (!_roundStarted)
                    {
                        _roundStarted = true;
                        _roundStart = _elapsed();
                    }
                    _roundDone++;
                    _roundBytes += bytes;
                    SlowStart(d);
                }
                else
                {
                    MaybeAdjust();
                }
            }
        }

        /// <summary>
        /// An earlier step of a row finished (a URL fetched ahead of its download): in slow start it counts as one more sign
        /// that the lanes move, as each acknowledgement does in TCP's, so the limit grows with every step that completes.
        /// </summary>
        public void Stepped()
        {
            lock (_lock)
            {
                if (!_slowStart) return;
                Grow(Slots.Limit);
            }
        }

        /// <summary>Throttling, a timeout or a connection error was seen (and retried).</summary>
        public void Congested()
        {
            lock (_lock)
            {
                _epochCongested++;
                if (_slowStart)
                {
                    var limit = Slots.Limit;
                    EndSlowStart(Math.Max(1, (int)(limit * 0.7)), $"a throttled, timed-out or failed connection at {limit} in flight: backing off");
                }
                else
                {
                    MaybeAdjust();
                }
            }
        }

        private void SlowStart(double seconds)
        {
            _samples++;
            var limit = Slots.Limit;
            if (_samples <= WarmUpSamples)
            {
                Grow(limit);
                return;
            }
            _recentLatency = _recentLatency < 0 ? seconds : _recentLatency + (seconds - _recentLatency) / WarmUpSamples;
            if (_samples >= 2 * WarmUpSamples)
            {
                _baseLatency = Math.Min(_baseLatency, _recentLatency);
                if (_recentLatency > QueueFactor * _baseLatency)
                {
                    // Throughput is limit / latency; the same throughput with no queue needs limit × base / latency rows in
                    // flight. The smoothed latency lags the limit, so keep some headroom above that.
                    var next = (int)Math.Ceiling(limit * _baseLatency / _recentLatency * 1.5);
                    EndSlowStart(Math.Max(1, Math.Min(limit, next)),
                        $"a row's time rose from {Ms(_baseLatency)} to {Ms(_recentLatency)} at {limit} in flight: settling");
                    return;
                }
            }
            Grow(limit);
        }

        private void Grow(int limit)
        {
            // Grow only while some lane is full (rows wait for a slot): a slow input is no reason to allow more.
            if (!AnyLaneFull()) return;
            if (limit >= Ceiling)
            {
                EndSlowStart(limit, $"reached the ceiling of {Ceiling}");
                return;
            }
            Slots.Limit = limit + 1;
            SyncFollowers();
            if (limit + 1 >= 2 * _roundLimit && EndOfRoundSettles(limit + 1)) return;
            if (limit + 1 >= 2 * _lastReported)
            {
                _lastReported = limit + 1;
                Changed?.Invoke($"Concurrency {limit + 1}: slow start{(_recentLatency < 0 ? "" : $", a row takes {Ms(_recentLatency)}")}: raising.");
            }
        }

        /// <summary>The limit has doubled since the round began: compare this round's throughput with the last one's.</summary>
        private bool EndOfRoundSettles(int limit)
        {
            var now = _elapsed();
            if (!_roundStarted)
            {
                // Doubled on fetched URLs alone, before any row finished: nothing to compare yet.
                _roundLimit = limit;
                return false;
            }
            var span = (now - _roundStart).TotalSeconds;
            var rate = span > 0 ? _roundDone / span : 0;
            var byteRate = span > 0 ? _roundBytes / span : 0;
            var prevRate = _prevRoundRate;
            var prevByteRate = _prevRoundByteRate;
            var roundLimit = _roundLimit;
            _prevRoundRate = rate;
            _prevRoundByteRate = byteRate;
            _roundStart = now;
            _roundLimit = limit;
            _roundDone = 0;
            _roundBytes = 0;
            if (prevRate <= 0) return false;
            var improved = rate >= prevRate * RoundGain || (prevByteRate > 0 && byteRate >= prevByteRate * RoundGain);
            if (improved) return false;
            EndSlowStart(roundLimit,
                $"{Format(rate)} recordings/s while going from {roundLimit} to {limit}, against {Format(prevRate)} in the round before: settling at {roundLimit}");
            return true;
        }

        private bool AnyLaneFull()
        {
            if (Slots.Available == 0) return true;
            foreach (var (slots, _) in _followers)
            {
                if (slots.Available == 0) return true;
            }
            return false;
        }

        private void EndSlowStart(int next, string why)
        {
            _slowStart = false;
            _climbing = false;
            _hold = HoldEpochs;
            _lastRate = -1;
            _lastByteRate = -1;
            _lastLimit = next;
            StartEpoch(_elapsed());
            if (next != Slots.Limit)
            {
                Slots.Limit = next;
                SyncFollowers();
            }
            Changed?.Invoke($"Concurrency {next}: {why}.");
        }

        private void StartEpoch(TimeSpan now)
        {
            _epochStart = now;
            _epochDone = 0;
            _epochBytes = 0;
            _epochCongested = 0;
        }

        private static string Ms(double seconds) => (seconds * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms";

        private void MaybeAdjust()
        {
            if (!IsAuto) return;
            var now = _elapsed();
            var span = now - _epochStart;
            // A new limit shows in the numbers only once the rows it let in have finished: an epoch lasts at least about
            // two rows' time in a slot.
            var minSpan = Math.Max(MinEpoch.TotalSeconds, 2 * Math.Max(0, _latencySeconds));
            if (span.TotalSeconds < minSpan || _epochDone + _epochCongested < MinEpochCompletions) return;

            var rate = _epochDone / span.TotalSeconds;
            var byteRate = _epochBytes / span.TotalSeconds;
            var limit = Slots.Limit;
            int next = limit;
            string? why = null;

            if (_epochCongested > Math.Max(1, _epochDone / 20))
            {
                next = Math.Max(1, (int)(limit * 0.7));
                _climbing = false;
                _hold = HoldEpochs;
                why = $"{_epochCongested} throttled, timed-out or failed connections in {span.TotalSeconds:0.0} s: backing off";
            }
            else if (_climbing)
            {
                var first = _lastRate < 0;
                if (first || rate > _lastRate * Better || byteRate > _lastByteRate * Better)
                {
                    // Double while throughput grows about in step with the limit (far from any bottleneck); else go gently.
                    var gain = first ? 2.0 : Math.Max(rate / _lastRate, byteRate / Math.Max(1, _lastByteRate));
                    var step = gain >= 1.3 ? 2.0 : 1.5;
                    next = Math.Min(Ceiling, Math.Max(limit + 1, (int)Math.Ceiling(limit * step)));
                    why = first
                        ? $"{Format(rate)} recordings/s at {limit}: raising"
                        : $"{Format(rate)} recordings/s at {limit}, up from {Format(_lastRate)} at {_lastLimit}: raising";
                    if (next == limit)
                    {
                        _climbing = false;
                        _hold = HoldEpochs;
                        why = $"{Format(rate)} recordings/s at the ceiling of {Ceiling}";
                    }
                }
                else
                {
                    // More did not help: go back to the step before, which did as well for less.
                    next = rate < _lastRate ? _lastLimit : limit;
                    _climbing = false;
                    _hold = HoldEpochs;
                    why = $"{Format(rate)} recordings/s at {limit} against {Format(_lastRate)} at {_lastLimit}: more stopped helping; settling at {next}";
                }
            }
            else if (--_hold <= 0)
            {
                // Conditions change (another job stops sharing the link): probe upwards again, gently.
                _climbing = true;
                next = Math.Min(Ceiling, Math.Max(limit + 1, (int)Math.Ceiling(limit * 1.25)));
                why = next == limit ? null : $"{Format(rate)} recordings/s at {limit}: probing {next}";
            }

            _lastRate = rate;
            _lastByteRate = byteRate;
            _lastLimit = limit;
            StartEpoch(now);
            if (next != limit)
            {
                Slots.Limit = next;
                SyncFollowers();
            }
            if (why != null) Changed?.Invoke($"Concurrency {next}: {why}.");
        }

        private void SyncFollowers()
        {
            foreach (var (slots, factor) in _followers) slots.Limit = (int)Math.Ceiling(Slots.Limit * factor);
        }

        private static string Format(double rate) => rate.ToString(rate < 10 ? "0.0" : "0", CultureInfo.InvariantCulture);
    }
}
