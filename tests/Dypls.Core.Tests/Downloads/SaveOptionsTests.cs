using System;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

public class SaveOptionsTests
{
    [Fact]
    public void Busy_wait_limit_defaults_to_three_idle_timeouts()
    {
        Assert.Equal(TimeSpan.FromSeconds(90), new SaveOptions().EffectiveBusyWaitLimit);
        Assert.Equal(TimeSpan.FromMinutes(6), new SaveOptions { IdleTimeout = TimeSpan.FromMinutes(2) }.EffectiveBusyWaitLimit);
    }

    [Fact]
    public void Busy_wait_limit_is_at_least_thirty_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(30), new SaveOptions { IdleTimeout = TimeSpan.FromSeconds(5) }.EffectiveBusyWaitLimit);
    }

    [Fact]
    public void A_busy_wait_limit_that_is_set_is_used_as_it_is()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), new SaveOptions { BusyWaitLimit = TimeSpan.FromSeconds(2) }.EffectiveBusyWaitLimit);
    }
}
