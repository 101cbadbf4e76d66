using System;
using System.Collections.Generic;
using System.Threading;
using Dypls.Concurrency;

namespace Dypls.Core.Tests.Concurrency;

/// <summary>
/// -ThrottleLimit Auto's controller, driven by hand: completions with chosen times on a clock the test moves. No network,
/// no real time, so every number below is exact.
/// </summary>
public sealed class AdaptiveConcurrencyTests
{
    private TimeSpan _now;
    private readonly List<string> _changes = new();

    private AdaptiveConcurrency Auto(int ceiling = AdaptiveConcurrency.DefaultCeiling)
    {
        var c = new AdaptiveConcurrency(null, ceiling, () => _now) { Changed = _changes.Add };
        return c;
    }

    /// <summary>Takes every free slot, as rows waiting for one would.</summary>
    private static void Fill(DynamicSemaphore slots)
    {
        while (slots.Available > 0) Assert.True(slots.WaitAsync(CancellationToken.None).Wait(0));
    }

    private static void Complete(AdaptiveConcurrency c, double seconds, int times = 1)
    {
        for (var i = 0; i < times; i++)
        {
            c.Completed(1000, TimeSpan.FromSeconds(seconds));
            Fill(c.Slots);
        }
    }

    [Fact]
    public void A_fixed_limit_never_moves()
    {
        var c = new AdaptiveConcurrency(8, elapsed: () => _now);
        Fill(c.Slots);
        for (var i = 0; i < 50; i++)
        {
            _now += TimeSpan.FromSeconds(1);
            c.Completed(1000, TimeSpan.FromMilliseconds(100 + i * 50));
            c.Congested();
            c.Stepped();
        }
        Assert.False(c.IsAuto);
        Assert.False(c.InSlowStart);
        Assert.Equal(8, c.Limit);
    }

    [Fact]
    public void Auto_starts_at_the_documented_level_in_slow_start()
    {
        var c = Auto();
        Assert.True(c.IsAuto);
        Assert.True(c.InSlowStart);
        Assert.Equal(32, AdaptiveConcurrency.AutoStart);
        Assert.Equal(AdaptiveConcurrency.AutoStart, c.Limit);
        Assert.Equal(256, c.Ceiling);
    }

    [Fact]
    public void Slow_start_adds_one_slot_per_completion_while_every_slot_is_busy()
    {
        var c = Auto();
        var follower = c.AddFollower(2.0, 512);
        Fill(c.Slots);
        Complete(c, 0.1, times: 10);
        Assert.Equal(42, c.Limit);
        Assert.Equal(84, follower.Limit);
        Assert.True(c.InSlowStart);
    }

    [Fact]
    public void Slow_start_does_not_grow_while_a_slot_is_free()
    {
        var c = Auto();
        _ = c.AddFollower(2.0, 512);
        Fill(c.Slots);
        c.Slots.Release(); // the input is slower than the work: one slot stays free
        for (var i = 0; i < 20; i++) c.Completed(1000, TimeSpan.FromSeconds(0.1));
        c.Stepped();
        Assert.Equal(32, c.Limit);
        Assert.True(c.InSlowStart);
    }

    [Fact]
    public void A_full_follower_lane_counts_as_demand()
    {
        var c = Auto();
        var rows = c.AddFollower(2.0, 512);
        Fill(rows); // rows wait for a URL slot while downloads have room
        c.Completed(1000, TimeSpan.FromSeconds(0.1));
        Assert.Equal(33, c.Limit);
    }

    [Fact]
    public void A_step_of_a_row_grows_the_limit_in_slow_start_like_a_completion()
    {
        var c = Auto();
        Fill(c.Slots);
        c.Stepped();
        Assert.Equal(33, c.Limit);
    }

    [Fact]
    public void Slow_start_doubles_the_limit_after_a_rows_time_and_says_so_once_per_doubling()
    {
        var c = Auto();
        Fill(c.Slots);
        Complete(c, 0.1, times: 32);
        Assert.Equal(64, c.Limit);
        Assert.Equal("Concurrency 64: slow start, a row takes 100 ms: raising.", Assert.Single(_changes));
    }

    [Fact]
    public void A_row_time_twice_the_lowest_ends_slow_start_where_no_queue_is_needed()
    {
        var c = Auto();
        Fill(c.Slots);
        Complete(c, 5.0, times: 8);   // the first 8 rows open connections: left out
        Complete(c, 0.1, times: 8);   // the time with no queue: 100 ms; limit 48
        Assert.Equal(48, c.Limit);
        // A queue forms: rows take 400 ms. The smoothed time passes 200 ms on the 4th such row (100 + 300 × (1 − (7/8)^4)
        // = 224 ms), after 3 more slots (51). Little's law: 51 × 100 / 224 ≈ 22.8 rows give the same throughput with no
        // queue; with half again as headroom, 35.
        Complete(c, 0.4, times: 3);
        Assert.True(c.InSlowStart);
        Assert.Equal(51, c.Limit);
        c.Completed(1000, TimeSpan.FromSeconds(0.4));
        Assert.False(c.InSlowStart);
        Assert.Equal(35, c.Limit);
        Assert.Equal("Concurrency 35: a row's time rose from 100 ms to 224 ms at 51 in flight: settling.", _changes[^1]);
    }

    [Fact]
    public void A_doubling_that_brings_less_than_a_quarter_more_throughput_ends_slow_start()
    {
        var c = Auto();
        Fill(c.Slots);
        _now += TimeSpan.FromSeconds(1);
        Complete(c, 0.1, times: 32);  // round 32 → 64: 32 rows/s
        Assert.Equal(64, c.Limit);
        _now += TimeSpan.FromSeconds(1);
        Complete(c, 0.1, times: 64);  // round 64 → 128: 64 rows/s, twice as many: go on
        Assert.Equal(128, c.Limit);
        Assert.True(c.InSlowStart);
        _now += TimeSpan.FromSeconds(1.7);
        Complete(c, 0.1, times: 127);
        Assert.True(c.InSlowStart);
        Complete(c, 0.1);             // round 128 → 256: 75 rows/s, under 1.25 × 64: settle where the round began
        Assert.False(c.InSlowStart);
        Assert.Equal(128, c.Limit);
        Assert.Equal("Concurrency 128: 75 recordings/s while going from 128 to 256, against 64 in the round before: settling at 128.", _changes[^1]);
    }

    [Fact]
    public void The_first_rows_latency_is_not_taken_for_a_low_rate()
    {
        var c = Auto();
        Fill(c.Slots);
        _now += TimeSpan.FromSeconds(5); // the first rows take 5 s to come back
        for (var i = 0; i < 32; i++)
        {
            _now += TimeSpan.FromSeconds(1.0 / 32);
            c.Completed(1000, TimeSpan.FromSeconds(5));
            Fill(c.Slots);
        }
        Assert.Equal(64, c.Limit); // round 32 → 64: timed from the first finished row, about 33 rows/s
        for (var i = 0; i < 63; i++)
        {
            _now += TimeSpan.FromSeconds(2.0 / 64);
            c.Completed(1000, TimeSpan.FromSeconds(5));
            Fill(c.Slots);
        }
        Assert.True(c.InSlowStart);
        _now += TimeSpan.FromSeconds(2.0 / 64);
        c.Completed(1000, TimeSpan.FromSeconds(5)); // round 64 → 128: 32 rows/s, no better: settle at 64
        Assert.False(c.InSlowStart);
        Assert.Equal(64, c.Limit);
        Assert.Contains("settling at 64", _changes[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void More_bytes_per_second_alone_keep_slow_start_going()
    {
        var c = Auto();
        Fill(c.Slots);
        _now += TimeSpan.FromSeconds(1);
        Complete(c, 0.1, times: 32);
        _now += TimeSpan.FromSeconds(2);
        for (var i = 0; i < 64; i++)
        {
            c.Completed(10_000, TimeSpan.FromSeconds(0.1)); // as many recordings/s, ten times the bytes each
            Fill(c.Slots);
        }
        Assert.True(c.InSlowStart);
        Assert.Equal(128, c.Limit);
    }

    [Fact]
    public void Slower_rows_before_eight_have_finished_do_not_end_slow_start()
    {
        var c = Auto();
        Fill(c.Slots);
        Complete(c, 0.01, times: 1);
        Complete(c, 1.0, times: 6); // first rows are slow (connections being opened), not a queue
        Assert.True(c.InSlowStart);
        Assert.Equal(39, c.Limit);
    }

    [Fact]
    public void Congestion_in_slow_start_backs_off_to_seven_tenths_and_ends_it()
    {
        var c = Auto();
        Fill(c.Slots);
        c.Congested();
        Assert.False(c.InSlowStart);
        Assert.Equal(22, c.Limit);
        Assert.Contains("backing off", _changes[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void Slow_start_ends_at_the_ceiling()
    {
        var c = Auto(ceiling: 34);
        Fill(c.Slots);
        Complete(c, 0.1, times: 3);
        Assert.Equal(34, c.Limit);
        Assert.False(c.InSlowStart);
        Assert.Equal("Concurrency 34: reached the ceiling of 34.", _changes[^1]);
    }

    [Fact]
    public void After_slow_start_congestion_over_an_epoch_backs_off_again()
    {
        var c = Auto();
        Fill(c.Slots);
        c.Congested(); // 22, out of slow start
        _now += TimeSpan.FromSeconds(1);
        c.Congested();
        c.Congested();
        for (var i = 0; i < 3; i++) c.Completed(1000, TimeSpan.FromSeconds(0.1));
        Assert.Equal(22, c.Limit); // an epoch needs 0.75 s and 6 events
        c.Completed(1000, TimeSpan.FromSeconds(0.1));
        Assert.Equal(15, c.Limit); // 2 congested against 4 done: × 0.7
        Assert.Contains("2 throttled, timed-out or failed connections", _changes[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void After_holding_it_probes_upwards_and_keeps_the_step_only_when_throughput_grew()
    {
        var c = Auto();
        Fill(c.Slots);
        c.Congested(); // 22, holding for 4 epochs
        // An epoch closes at its 6th completion once 0.75 s have passed: 6 rows in `seconds`.
        void Epoch(double seconds)
        {
            _now += TimeSpan.FromSeconds(seconds);
            for (var i = 0; i < 6; i++) c.Completed(1000, TimeSpan.FromSeconds(0.1));
        }
        for (var i = 0; i < 3; i++) Epoch(1);
        Assert.Equal(22, c.Limit);
        Epoch(1); // 4th epoch: probe 22 × 1.25
        Assert.Equal(28, c.Limit);
        Assert.Equal("Concurrency 28: 6.0 recordings/s at 22: probing 28.", _changes[^1]);
        Epoch(0.9); // 6.7/s at 28: more than 10% better, keep climbing (28 × 1.5: a gain under 30%)
        Assert.Equal(42, c.Limit);
        Epoch(1.5); // 4/s at 42: worse, back to 28
        Assert.Equal(28, c.Limit);
        Assert.Contains("more stopped helping; settling at 28", _changes[^1], StringComparison.Ordinal);
    }
}
