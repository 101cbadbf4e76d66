using Dypls.Concurrency;
using Dypls.Runs;

namespace Dypls.Core.Tests.Runs;

/// <summary>The one stop rule: work that fails in a way every row would stops the run before its slot goes back.</summary>
public sealed class LaneTests
{
    [Fact]
    public async Task A_failure_that_stops_the_run_is_told_while_the_slot_is_still_held()
    {
        var slots = new DynamicSemaphore(1, 1);
        var availableWhenTold = -1;
        DyplsException? told = null;
        var lane = new Lane(slots, ex => { told = ex; availableWhenTold = slots.Available; });
        var full = new DyplsException("DiskFull", "the disk is full", stopsRun: true);

        var thrown = await Assert.ThrowsAsync<DyplsException>(() => lane.RunAsync<int>(_ => throw full, CancellationToken.None));

        Assert.Same(full, thrown);
        Assert.Same(full, told);
        Assert.Equal(0, availableWhenTold);
        Assert.Equal(1, slots.Available);
    }

    [Fact]
    public async Task A_failure_of_one_row_does_not_stop_the_run()
    {
        var slots = new DynamicSemaphore(2, 2);
        var stops = 0;
        var lane = new Lane(slots, _ => stops++);
        await Assert.ThrowsAsync<DyplsException>(() => lane.RunAsync<int>(_ => throw new DyplsException("RecordingNotAvailable", "gone"), CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => lane.RunAsync<int>(_ => throw new InvalidOperationException(), CancellationToken.None));
        Assert.Equal(0, stops);
        Assert.Equal(2, slots.Available);
    }

    [Fact]
    public async Task A_slot_given_back_early_is_given_back_once()
    {
        var slots = new DynamicSemaphore(2, 2);
        var lane = new Lane(slots, _ => { });
        var availableAfterRelease = await lane.RunAsync(slot =>
        {
            Assert.Equal(1, slots.Available);
            slot.Release();
            slot.Release();
            return Task.FromResult(slots.Available);
        }, CancellationToken.None);
        Assert.Equal(2, availableAfterRelease);
        Assert.Equal(2, slots.Available);
    }

    [Fact]
    public async Task Work_waits_for_a_free_slot()
    {
        var slots = new DynamicSemaphore(1, 1);
        var lane = new Lane(slots, _ => { });
        var gate = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = lane.RunAsync(_ => gate.Task, CancellationToken.None);
        var secondStarted = false;
        var second = lane.RunAsync(_ => { secondStarted = true; return Task.FromResult(true); }, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(secondStarted);
        gate.SetResult(true);
        await first;
        await second;
        Assert.True(secondStarted);
    }
}
