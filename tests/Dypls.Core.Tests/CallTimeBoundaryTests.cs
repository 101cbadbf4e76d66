using System.Globalization;
using Dypls.Time;

namespace Dypls.Core.Tests;

/// <summary>
/// The edges of CallTime that mutation testing found unguarded: each limit on both sides, each reason in the message,
/// each kind of number. Literal expectations only.
/// </summary>
public class CallTimeBoundaryTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static string Refused(object? value, DateTimeOffset? now = null)
    {
        var ex = Assert.Throws<DyplsException>(() => CallTime.ToBeijing(value, now ?? Now));
        Assert.Equal("InvalidCallTime", ex.ErrorId);
        return ex.Message;
    }

    [Fact]
    public void Up_to_one_day_ahead_is_accepted_and_a_second_more_is_the_future()
    {
        var limit = Now.AddDays(1);
        Assert.Equal("2026-11-26 20:00:00", CallTime.ToServiceString(limit, Now));
        Assert.Equal("CallTime '2026-11-26 20:00:01' cannot be used: it is in the future (2026-11-26 20:00:01 Beijing time).",
            Refused("2026-11-26 20:00:01"));
    }

    [Fact]
    public void Without_a_reference_the_clock_is_now()
    {
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString("2019-03-05 12:00:00"));
        // With an explicit reference in the past, the same time is in the future: the reference is used, not the clock.
        Assert.Contains("it is in the future", Refused("2019-03-05 12:00:00", new DateTimeOffset(2010, 1, 1, 0, 0, 0, TimeSpan.Zero)));
        Assert.Contains("it is in the future", Refused(DateTimeOffset.UtcNow.AddDays(2), null!));
    }

    [Fact]
    public void The_year_2000_is_accepted_and_a_second_before_it_is_not()
    {
        Assert.Equal("2000-01-01 00:00:00", CallTime.ToServiceString("2000-01-01 00:00:00", Now));
        Assert.Equal("CallTime '1999-12-31 23:59:59' cannot be used: it is before the year 2000 (1999-12-31 23:59:59 Beijing time).",
            Refused("1999-12-31 23:59:59"));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    public void An_epoch_must_be_positive(long epoch)
    {
        Assert.Equal($"CallTime '{epoch.ToString(CultureInfo.InvariantCulture)}' cannot be used: an epoch time must be positive.", Refused(epoch));
    }

    [Fact]
    public void Epoch_one_is_a_second_after_1970()
    {
        Assert.Equal("CallTime '1' cannot be used: it is before the year 2000 (1970-01-01 08:00:01 Beijing time).", Refused(1L));
    }

    [Fact]
    public void The_milliseconds_threshold_is_1e11_exactly()
    {
        // 1e11 is milliseconds (1973); one less is seconds (year 5138).
        Assert.Contains("before the year 2000 (1973-03-03 17:46:40 Beijing time)", Refused(100_000_000_000L));
        Assert.Contains("it is in the future (5138-11-16 17:46:39 Beijing time)", Refused(99_999_999_999L));
    }

    [Fact]
    public void Epoch_digits_include_nine()
    {
        Assert.Equal("2023-11-15 06:13:19", CallTime.ToServiceString("1699999999", Now));
        Assert.Equal("2023-11-15 06:13:19", CallTime.ToServiceString("1699999999000", Now));
    }

    [Fact]
    public void Eighteen_digits_are_an_epoch_out_of_range_and_nineteen_are_too_large()
    {
        Assert.Equal("CallTime '999999999999999999' cannot be used: the epoch value is out of range.", Refused("999999999999999999"));
        Assert.Equal("CallTime '1000000000000000000' cannot be used: the number is too large for an epoch time.", Refused("1000000000000000000"));
    }

    [Fact]
    public void Numbers_of_every_kind()
    {
        Assert.Equal("2019-03-28 20:01:05", CallTime.ToServiceString(1553774465000m, Now));
        Assert.Equal("2019-03-28 20:01:05", CallTime.ToServiceString(1553774465d, Now));
        // A fraction is not an epoch: it is read as text, which is no time.
        Assert.Contains("use 'yyyy-MM-dd HH:mm:ss'", Refused(1553774465000.5d));
        Assert.Contains("use 'yyyy-MM-dd HH:mm:ss'", Refused(1553774465000.5m));
        Assert.Contains("use 'yyyy-MM-dd HH:mm:ss'", Refused(double.PositiveInfinity));
        Assert.Contains("use 'yyyy-MM-dd HH:mm:ss'", Refused(double.NaN));
    }

    [Fact]
    public void Anything_else_goes_through_its_text()
    {
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString(new Text("2019-03-05 12:00:00"), Now));
        Assert.Equal("CallTime '' cannot be used: it is empty.", Refused(new Text(null)));
    }

    [Fact]
    public void Empty_and_null_say_so()
    {
        Assert.Equal("CallTime '(null)' cannot be used: it is empty.", Refused(null));
        Assert.Equal("CallTime '  ' cannot be used: it is empty.", Refused("  "));
        Assert.Equal("CallTime 'soon' cannot be used: use 'yyyy-MM-dd HH:mm:ss' (Beijing time), an ISO 8601 time with an offset, a [datetime], or Unix epoch milliseconds.",
            Refused("soon"));
    }

    [Theory]
    [InlineData("2019-03-05T04:00:00z", "2019-03-05 12:00:00")]
    [InlineData("2019-03-05 04:00:00+00:00", "2019-03-05 12:00:00")]
    [InlineData("2019-03-05T04:00+00:00", "2019-03-05 12:00:00")]
    public void Offsets_in_any_spelling(string input, string expected)
    {
        Assert.Equal(expected, CallTime.ToServiceString(input, Now));
    }

    [Theory]
    [InlineData("2019-03-05T04:00")]      // no seconds and no offset: not one of the Beijing formats, and not exact
    [InlineData("2019-03-05")]            // a date alone
    public void Text_without_seconds_or_offset_is_refused(string input)
    {
        Assert.Contains("use 'yyyy-MM-dd HH:mm:ss'", Refused(input));
    }

    private sealed class Text(string? text)
    {
        public override string? ToString() => text;
    }
}
