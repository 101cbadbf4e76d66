using System.Globalization;
using Dypls.Time;

namespace Dypls.Core.Tests;

public class CallTimeTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2019-03-05 12:00:00", "2019-03-05 12:00:00")]
    [InlineData(" 2019-03-05 12:00:00 ", "2019-03-05 12:00:00")]
    [InlineData("2019/3/5 9:05:07", "2019-03-05 09:05:07")]
    [InlineData("2019-03-05T04:00:00Z", "2019-03-05 12:00:00")]
    [InlineData("2019-03-05T12:00:00+08:00", "2019-03-05 12:00:00")]
    [InlineData("2019-03-04T23:00:00-05:00", "2019-03-05 12:00:00")]
    [InlineData("1553774465000", "2019-03-28 20:01:05")] // the recording receipt's example, epoch ms
    [InlineData("1553774465", "2019-03-28 20:01:05")]    // epoch seconds
    public void Strings(string input, string expected)
    {
        Assert.Equal(expected, CallTime.ToServiceString(input, Now));
    }

    [Fact]
    public void EpochMillisecondsAsNumber()
    {
        Assert.Equal("2019-03-28 20:01:05", CallTime.ToServiceString(1553774465000L, Now));
        Assert.Equal("2019-03-28 20:01:05", CallTime.ToServiceString(1553774465000d, Now));
        Assert.Equal("2019-03-28 20:01:05", CallTime.ToServiceString(1553774465, Now));
    }

    [Fact]
    public void DateTimeOffsetAnyOffset()
    {
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString(new DateTimeOffset(2019, 3, 5, 4, 0, 0, TimeSpan.Zero), Now));
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString(new DateTimeOffset(2019, 3, 4, 20, 0, 0, TimeSpan.FromHours(-8)), Now));
    }

    [Fact]
    public void DateTimeUtcKind()
    {
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString(new DateTime(2019, 3, 5, 4, 0, 0, DateTimeKind.Utc), Now));
    }

    /// <summary>The same instant seen from several zones (DST and odd offsets included) gives one Beijing time.
    /// Local-kind [datetime] under a changed machine zone is covered by the Pester suite (child pwsh with TZ set).</summary>
    [Theory]
    [InlineData("America/New_York")]
    [InlineData("Asia/Shanghai")]
    [InlineData("Europe/London")]
    [InlineData("Pacific/Chatham")]
    [InlineData("Asia/Kolkata")]
    public void SameInstantFromAnyZone(string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        foreach (var utc in new[] { new DateTime(2019, 3, 5, 4, 0, 0, DateTimeKind.Utc), new DateTime(2019, 7, 5, 4, 0, 0, DateTimeKind.Utc) })
        {
            var inZone = TimeZoneInfo.ConvertTimeFromUtc(utc, zone);
            var asOffset = new DateTimeOffset(inZone, zone.GetUtcOffset(inZone));
            Assert.Equal(utc.AddHours(8).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), CallTime.ToServiceString(asOffset, Now));
        }
    }

    [Fact]
    public void DateTimeLocalAndUnspecified_UseMachineZone()
    {
        // 04:00 UTC seen as this machine's wall clock, as Local and as Unspecified: read in the machine's zone, both are
        // that instant, 12:00 in Beijing, on any machine. (Unspecified read as UTC differs only off UTC: the Pester suite
        // checks that in a child process under a non-UTC TZ.)
        var local = new DateTime(2019, 3, 5, 4, 0, 0, DateTimeKind.Utc).ToLocalTime();
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString(local, Now));
        Assert.Equal("2019-03-05 12:00:00", CallTime.ToServiceString(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), Now));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("yesterday")]
    [InlineData("2019-13-45 99:00:00")]
    [InlineData("2019-03-05")]
    [InlineData("99999999999999999999999")]
    [InlineData("2030-01-01 00:00:00")]   // in the future
    [InlineData("0")]
    public void Invalid(string input)
    {
        var ex = Assert.Throws<DyplsException>(() => CallTime.ToServiceString(input, Now));
        Assert.Equal("InvalidCallTime", ex.ErrorId);
    }

    [Fact]
    public void NullIsInvalid()
    {
        Assert.Equal("InvalidCallTime", Assert.Throws<DyplsException>(() => CallTime.ToServiceString(null, Now)).ErrorId);
    }
}
