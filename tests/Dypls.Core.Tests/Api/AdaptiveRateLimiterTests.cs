using Dypls.Api;

namespace Dypls.Core.Tests.Api;

public class AdaptiveRateLimiterTests
{
    private DateTimeOffset _now = new(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task UnlimitedUntilTheFirstThrottle()
    {
        var l = new AdaptiveRateLimiter(() => _now);
        for (var i = 0; i < 100; i++) await l.WaitAsync(CancellationToken.None);
        Assert.Null(l.Rate);
    }

    [Fact]
    public async Task StartsAtWhatSucceededInTheLastSecond_ThenCutsAndCreeps()
    {
        var l = new AdaptiveRateLimiter(() => _now);
        for (var i = 0; i < 20; i++) { await l.WaitAsync(CancellationToken.None); l.OnSuccess(); _now = _now.AddMilliseconds(40); }
        l.OnThrottled();
        Assert.Equal(20, l.Rate);
        _now = _now.AddMilliseconds(300);
        l.OnThrottled();
        Assert.Equal(19, l.Rate!.Value, 3);
        _now = _now.AddMilliseconds(100);
        l.OnThrottled();                       // same burst: no second cut
        Assert.Equal(19, l.Rate!.Value, 3);
        _now = _now.AddMilliseconds(300);
        l.OnSuccess();
        Assert.Equal(19.38, l.Rate!.Value, 3);
    }

    [Fact]
    public async Task NothingGotThrough_StartsAtHalfOfWhatWasSent()
    {
        var l = new AdaptiveRateLimiter(() => _now);
        for (var i = 0; i < 30; i++) await l.WaitAsync(CancellationToken.None);
        l.OnThrottled();
        Assert.Equal(15, l.Rate);
    }

    [Fact]
    public async Task PacedCallsWaitForTheirSlot()
    {
        var l = new AdaptiveRateLimiter(() => DateTimeOffset.UtcNow);
        l.OnThrottled(); // nothing was sent or got through: the floor of 1 request per second
        Assert.Equal(1, l.Rate);
        var first = DateTimeOffset.UtcNow;
        await l.WaitAsync(CancellationToken.None);
        await l.WaitAsync(CancellationToken.None);
        Assert.True(DateTimeOffset.UtcNow - first >= TimeSpan.FromMilliseconds(900)); // a lower bound: it waited
    }
}
