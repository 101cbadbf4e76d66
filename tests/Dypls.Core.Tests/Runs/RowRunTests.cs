using Dypls.Concurrency;
using Dypls.Runs;

namespace Dypls.Core.Tests.Runs;

/// <summary>Rows go in, outcomes come out in input order; the first failure every row would hit stops the run once.</summary>
public sealed class RowRunTests
{
    private static List<RowOutcome<int>> DrainAll(RowRun<int> run) => run.Drain(all: true, () => { }).ToList();

    [Fact]
    public void Outcomes_come_out_in_input_order_when_later_rows_finish_first()
    {
        using var run = new RowRun<int>(new DynamicSemaphore(8, 8));
        var gates = Enumerable.Range(0, 6).Select(_ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        for (var i = 0; i < gates.Length; i++)
        {
            var gate = gates[i];
            run.Start("row" + i, _ => gate.Task);
        }
        for (var i = gates.Length - 1; i >= 0; i--) gates[i].SetResult(i);

        var outcomes = DrainAll(run);
        Assert.Equal(Enumerable.Range(0, 6), outcomes.Select(o => o.Result));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => "row" + i), outcomes.Select(o => (string)o.Row));
        Assert.Equal(6, run.Done);
        Assert.Equal(6, run.Seen);
        Assert.Equal(0, run.InFlight);
    }

    [Fact]
    public void A_row_that_fails_on_its_own_comes_out_as_its_error_and_the_rest_complete()
    {
        using var run = new RowRun<int>(new DynamicSemaphore(4, 4));
        run.Start("a", _ => Task.FromResult(1));
        run.Start("b", _ => Task.FromException<int>(new DyplsException("RecordingNotAvailable", "gone")));
        run.Add("c", Task.FromResult(3));

        var outcomes = DrainAll(run);
        Assert.Equal([RowOutcomeKind.Result, RowOutcomeKind.Failed, RowOutcomeKind.Result], outcomes.Select(o => o.Kind));
        Assert.Equal("RecordingNotAvailable", ((DyplsException)outcomes[1].Error!).ErrorId);
        Assert.Equal("b", outcomes[1].Row);
        Assert.Null(run.Stopped);
        Assert.Equal(2, run.Done);
        Assert.Equal(1, run.Failed);
    }

    [Fact]
    public async Task A_failure_every_row_would_hit_stops_the_run_once_and_names_its_row()
    {
        using var run = new RowRun<int>(new DynamicSemaphore(1, 1));
        var denied = new DyplsException("ActionDenied", "denied", stopsRun: true);
        var started = 0;
        var badHoldsTheSlot = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var failNow = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Equal(1, await run.Start("first", _ => Task.FromResult(1)));
        _ = run.Start("bad", async _ =>
        {
            badHoldsTheSlot.SetResult(true);
            await failNow.Task;
            throw denied;
        });
        // Rows race for the one slot in no set order; the later rows must be waiting while the failing row holds it.
        Assert.Same(badHoldsTheSlot.Task, await Task.WhenAny(badHoldsTheSlot.Task, Task.Delay(TimeSpan.FromSeconds(30))));
        for (var i = 0; i < 5; i++)
        {
            _ = run.Start("later" + i, async token =>
            {
                Interlocked.Increment(ref started);
                await Task.Delay(10, token);
                return 2;
            });
        }
        await Task.Delay(50);
        failNow.SetResult(true);
        Assert.True(run.WaitForWorkers(TimeSpan.FromSeconds(30)));
        await Task.Yield();

        var outcomes = DrainAll(run);
        Assert.Same(denied, run.Stopped!.Exception);
        Assert.Equal("bad", run.Stopped.Row);
        Assert.True(run.Token.IsCancellationRequested);
        // The one slot was held by the failing row until the run had stopped: no later row started.
        Assert.Equal(0, started);
        Assert.Equal([1], outcomes.Select(o => o.Result));
        Assert.Equal(0, run.Failed);
        Assert.Contains("1 row(s) finished, 0 failed on their own", run.Stopped.Describe(run.Done, run.Failed), StringComparison.Ordinal);
    }

    [Fact]
    public void Log_lines_from_workers_are_kept_for_the_pipeline_thread_in_order()
    {
        using var run = new RowRun<int>(new DynamicSemaphore(1, 1));
        run.Verbose("one");
        run.Debug("two");
        Assert.True(run.TryTakeLine(out var first));
        Assert.True(run.TryTakeLine(out var second));
        Assert.False(run.TryTakeLine(out _));
        Assert.Equal(("one", false), (first.Text, first.IsDebug));
        Assert.Equal(("two", true), (second.Text, second.IsDebug));
    }
}
