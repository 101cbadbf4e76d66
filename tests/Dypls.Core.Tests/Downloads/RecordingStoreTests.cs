using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>The recording store: ownership, partial state, commit. Plain files, no network, no PowerShell.</summary>
public sealed class RecordingStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-store-" + Guid.NewGuid().ToString("N"));

    public RecordingStoreTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Base(string name = "call-1") => Path.Combine(_dir, name);

    private static Task<RecordingLease> Acquire(string finalBase, TimeSpan? limit = null, CancellationToken token = default) =>
        RecordingStore.AcquireAsync(finalBase, limit ?? TimeSpan.FromSeconds(30), null, token);

    [Fact]
    public async Task A_second_owner_waits_until_the_first_lets_go()
    {
        var first = await Acquire(Base());
        var second = Acquire(Base());
        await Task.Delay(400);
        Assert.False(second.IsCompleted, "two owners held one recording at once");
        first.Dispose();
        using var lease = await Within(second, TimeSpan.FromSeconds(10));
        Assert.Equal(Base(), lease.FinalBase);
    }

    [Fact]
    public async Task Ownership_is_exclusive_under_contention()
    {
        // Many claimants, each holding briefly: never two at once.
        var inside = 0;
        var maxInside = 0;
        var claims = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                using var lease = await Acquire(Base());
                var now = Interlocked.Increment(ref inside);
                InterlockedMax(ref maxInside, now);
                await Task.Delay(2);
                Interlocked.Decrement(ref inside);
            }
        })).ToArray();
        await Within(Task.WhenAll(claims).ContinueWith(_ => 0), TimeSpan.FromSeconds(60));
        Assert.Equal(1, maxInside);
        Assert.False(File.Exists(RecordingStore.LockPathFor(Base())), "the lock file outlived its last owner");
    }

    /// <summary>Task.WaitAsync is not on .NET Framework.</summary>
    private static async Task<T> Within<T>(Task<T> task, TimeSpan limit)
    {
        if (await Task.WhenAny(task, Task.Delay(limit)) != task) throw new TimeoutException($"not done within {limit}");
        return await task;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [Fact]
    public async Task A_leftover_lock_file_from_a_dead_run_is_reused_and_removed()
    {
        File.WriteAllText(RecordingStore.LockPathFor(Base()), "left by a run that was killed");
        var watch = Stopwatch.StartNew();
        using (await Acquire(Base()))
        {
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        }
        Assert.False(File.Exists(RecordingStore.LockPathFor(Base())));
    }

    [Fact]
    public async Task An_owner_with_no_sign_of_life_past_the_limit_gives_RecordingBusy()
    {
        using var owner = await Acquire(Base());
        var watch = Stopwatch.StartNew();
        // The owner's heartbeat comes every 2 s; a 300 ms limit sees none.
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Acquire(Base(), TimeSpan.FromMilliseconds(300)));
        Assert.Equal("RecordingBusy", ex.ErrorId);
        Assert.False(ex.StopsRun);
        Assert.Contains(RecordingStore.LockPathFor(Base()), ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task A_waiter_keeps_waiting_while_the_owner_makes_progress()
    {
        var owner = await Acquire(Base());
        var waiter = Acquire(Base(), TimeSpan.FromMilliseconds(700));
        using (var partial = owner.Restart("\"etag\"", 100))
        {
            for (var i = 0; i < 10; i++)
            {
                partial.WriteByte(1);
                partial.Flush();
                await Task.Delay(200);
                Assert.False(waiter.IsCompleted, $"the waiter gave up after {i + 1} writes, while bytes kept coming");
            }
        }
        owner.Dispose();
        using var lease = await Within(waiter, TimeSpan.FromSeconds(10));
        Assert.Equal(10, lease.Inspect().Length);
    }

    [Fact]
    public async Task Waiting_ends_at_once_on_cancel()
    {
        using var owner = await Acquire(Base());
        using var cts = new CancellationTokenSource(200);
        var watch = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Acquire(Base(), token: cts.Token));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Inspect_reads_the_saved_part_with_its_validator()
    {
        using var lease = await Acquire(Base());
        Assert.Equal(0, lease.Inspect().Length);
        using (var s = lease.Restart("\"ABC\"", 10)) s.Write(new byte[4], 0, 4);
        var state = lease.Inspect();
        Assert.Equal(4, state.Length);
        Assert.Equal("\"ABC\"", state.Validator);
        Assert.Equal(10, state.Total);
        Assert.True(state.CanResume);
    }

    [Fact]
    public async Task Inspect_does_not_resume_what_cannot_be_proven()
    {
        using var lease = await Acquire(Base());
        // No validator: the server sent no ETag, so a later Range could splice two objects.
        using (var s = lease.Restart(null, 10)) s.Write(new byte[4], 0, 4);
        Assert.False(lease.Inspect().CanResume);
        // Longer than the object: not this object.
        using (var s = lease.Restart("\"A\"", 2)) s.Write(new byte[4], 0, 4);
        Assert.False(lease.Inspect().CanResume);
        // A meta file with garbage.
        File.WriteAllText(lease.MetaPath, "");
        Assert.False(lease.Inspect().CanResume);
    }

    [Fact]
    public async Task Commit_moves_the_partial_file_into_place_and_leaves_nothing_hidden()
    {
        var lease = await Acquire(Base());
        using (var s = lease.Restart("\"E\"", 3)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        var final = lease.Commit(".mp3", CancellationToken.None);
        lease.Dispose();
        Assert.Equal(Base() + ".mp3", final);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(final));
        Assert.Equal((string[])["call-1.mp3"], Directory.GetFiles(_dir).Select(Path.GetFileName).ToArray());
    }

    [Fact]
    public async Task Commit_replaces_an_older_file()
    {
        File.WriteAllText(Base() + ".mp3", "old");
        using var lease = await Acquire(Base());
        using (var s = lease.Restart("\"E\"", 3)) s.Write(new byte[] { 7, 8, 9 }, 0, 3);
        lease.Commit(".mp3", CancellationToken.None);
        Assert.Equal(new byte[] { 7, 8, 9 }, File.ReadAllBytes(Base() + ".mp3"));
    }

    [Fact]
    public async Task Nothing_is_committed_once_cancelled_and_the_partial_stays_for_the_next_run()
    {
        var lease = await Acquire(Base());
        using (var s = lease.Restart("\"E\"", 3)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        Assert.ThrowsAny<OperationCanceledException>(() => lease.Commit(".mp3", new CancellationToken(canceled: true)));
        lease.Dispose();
        Assert.Null(RecordingStore.FindFinished(Base()));
        Assert.True(File.Exists(RecordingStore.PartialPathFor(Base())));
        Assert.True(File.Exists(RecordingStore.MetaPathFor(Base())));
        Assert.False(File.Exists(RecordingStore.LockPathFor(Base())));
    }

    [Fact]
    public async Task Commit_removes_the_resume_record_a_run_before_left()
    {
        using (var first = await Acquire(Base()))
        using (var s = first.Restart("\"E\"", 3)) s.Write(new byte[] { 1, 2 }, 0, 2);
        using var lease = await Acquire(Base());
        Assert.True(lease.Inspect().CanResume);
        using (var s = lease.OpenForAppend()) s.Write(new byte[] { 3 }, 0, 1);
        lease.Commit(".mp3", CancellationToken.None);
        Assert.False(File.Exists(lease.MetaPath), "the record of a finished recording stays behind");
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(Base() + ".mp3"));
    }

    [Fact]
    public async Task Restart_removes_a_resume_record_left_without_its_partial_file()
    {
        File.WriteAllLines(RecordingStore.MetaPathFor(Base()), ["\"OLD\"", "99"]);
        var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        AssertEmpty(lease.Inspect());
        using (var s = lease.Restart("\"NEW\"", 50)) s.Write(new byte[] { 1 }, 0, 1);
        Assert.False(File.Exists(lease.MetaPath), "a stale record would sit beside the new bytes");
        lease.Dispose();
        Assert.Equal(["\"NEW\"", "50"], File.ReadAllLines(lease.MetaPath));
    }

    [Fact]
    public async Task Restart_starts_a_new_file_and_never_clobbers_one_that_appeared_after_the_look()
    {
        using var lease = await Acquire(Base());
        AssertEmpty(lease.Inspect());
        File.WriteAllText(lease.PartialPath, "not ours"); // nothing that keeps to the lock writes here; if something does, keep it
        var ex = Assert.Throws<DyplsException>(() => lease.Restart("\"E\"", 3));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.Equal("not ours", File.ReadAllText(lease.PartialPath));
        Assert.False(File.Exists(lease.MetaPath), "a record would vouch for bytes that are not the recording's");
        using (var s = lease.Restart("\"E\"", 3)) s.Write(new byte[] { 1, 2, 3 }, 0, 3); // looked at again: replaced
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(lease.PartialPath));
    }

    [Fact]
    public async Task FindFinishedAs_looks_for_that_extension_only()
    {
        File.WriteAllText(Base() + ".wav", "x");
        using var lease = await Acquire(Base());
        Assert.Null(lease.FindFinishedAs(".mp3"));
        Assert.Equal(Base() + ".wav", lease.FindFinishedAs(".wav"));
    }

    [Fact]
    public void FindFinished_knows_only_recording_extensions()
    {
        File.WriteAllText(Base() + ".ps1", "x");
        Assert.Null(RecordingStore.FindFinished(Base()));
        File.WriteAllText(Base() + ".wav", "x");
        Assert.Equal(Base() + ".wav", RecordingStore.FindFinished(Base()));
        File.WriteAllText(Base() + ".amr", "x");
        Assert.Equal(Base() + ".amr", RecordingStore.FindFinished(Base(), ".amr"));
    }

    [Fact]
    public void Hidden_files_sit_beside_the_final_name()
    {
        var b = Path.Combine(_dir, "pool", "call");
        Assert.Equal(Path.Combine(_dir, "pool", ".call.dypls-partial"), RecordingStore.PartialPathFor(b));
        Assert.Equal(Path.Combine(_dir, "pool", ".call.dypls-partial.meta"), RecordingStore.MetaPathFor(b));
        Assert.Equal(Path.Combine(_dir, "pool", ".call.dypls-lock"), RecordingStore.LockPathFor(b));
    }

    [Fact]
    public async Task A_waiter_says_once_that_it_waits_for_another_run()
    {
        var owner = await Acquire(Base());
        var traces = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var waiter = RecordingStore.AcquireAsync(Base(), TimeSpan.FromSeconds(30), traces.Enqueue, CancellationToken.None);
        await Task.Delay(900); // several rounds of waiting
        Assert.False(waiter.IsCompleted);
        owner.Dispose();
        using var lease = await Within(waiter, TimeSpan.FromSeconds(10));
        Assert.Equal((string[])["'call-1' is being saved by another run; waiting for it."], traces.ToArray());
    }

    [Fact]
    public async Task A_free_recording_is_not_taken_once_cancelled()
    {
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Acquire(Base(), token: new CancellationToken(canceled: true)));
        Assert.False(File.Exists(RecordingStore.LockPathFor(Base())));
    }

    [Fact]
    public async Task A_waiter_keeps_waiting_while_the_owner_touches_its_lock_file()
    {
        var owner = await Acquire(Base());
        var lockPath = RecordingStore.LockPathFor(Base());
        var waiter = Acquire(Base(), TimeSpan.FromMilliseconds(1500));
        var stamp = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        for (var i = 0; i < 12; i++)
        {
            File.SetLastWriteTimeUtc(lockPath, stamp.AddMinutes(i));
            await Task.Delay(200);
            Assert.False(waiter.IsCompleted, $"the waiter gave up after {i + 1} touches of the lock file");
        }
        owner.Dispose();
        using var lease = await Within(waiter, TimeSpan.FromSeconds(10));
        Assert.Equal(Base(), lease.FinalBase);
    }

    [Fact]
    public async Task RecordingBusy_names_the_recording_and_the_limit()
    {
        using var owner = await Acquire(Base());
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Acquire(Base(), TimeSpan.FromMilliseconds(300)));
        Assert.StartsWith("another run has been holding 'call-1' for 0 s without any progress (its lock file is '", ex.Message, StringComparison.Ordinal);
        Assert.Contains("that run is hung", ex.Message);
    }

    [Fact]
    public async Task A_lock_file_that_cannot_be_created_fails_the_row()
    {
        var missing = Path.Combine(_dir, "no-such-folder", "call-1");
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Acquire(missing));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.StartsWith($"could not create the lock file '{RecordingStore.LockPathFor(missing)}': ", ex.Message, StringComparison.Ordinal);
        Assert.IsType<DirectoryNotFoundException>(ex.InnerException);
    }

    [Fact]
    public void Only_saved_bytes_with_a_validator_can_be_resumed()
    {
        Assert.True(new PartialState(1, "\"E\"", -1).CanResume);
        Assert.False(new PartialState(0, "\"E\"", 10).CanResume);
        Assert.False(new PartialState(5, null, 10).CanResume);
        Assert.Equal(0, PartialState.Empty.Length);
        Assert.Null(PartialState.Empty.Validator);
        Assert.Equal(-1, PartialState.Empty.Total);
    }

    private static void AssertEmpty(PartialState state)
    {
        Assert.Equal(0, state.Length);
        Assert.Null(state.Validator);
        Assert.Equal(-1, state.Total);
    }

    [Fact]
    public async Task Inspect_finds_nothing_without_a_partial_file_or_with_an_empty_one()
    {
        using var lease = await Acquire(Base());
        AssertEmpty(lease.Inspect());
        File.WriteAllLines(lease.MetaPath, ["\"E\"", "10"]);
        AssertEmpty(lease.Inspect());
        File.WriteAllBytes(lease.PartialPath, []);
        AssertEmpty(lease.Inspect());
        File.Delete(lease.MetaPath);
        File.WriteAllBytes(lease.PartialPath, new byte[4]);
        AssertEmpty(lease.Inspect());
    }

    [Fact]
    public async Task Inspect_reads_the_meta_file_line_by_line()
    {
        using var lease = await Acquire(Base());
        File.WriteAllBytes(lease.PartialPath, new byte[4]);

        File.WriteAllText(lease.MetaPath, "\n10\n");
        AssertEmpty(lease.Inspect());

        File.WriteAllText(lease.MetaPath, "\"E\"\n");
        var noTotal = lease.Inspect();
        Assert.Equal(4, noTotal.Length);
        Assert.Equal("\"E\"", noTotal.Validator);
        Assert.Equal(-1, noTotal.Total);

        File.WriteAllText(lease.MetaPath, "\"E\"\nmany\n");
        Assert.Equal(-1, lease.Inspect().Total);
        Assert.True(lease.Inspect().CanResume);
    }

    [Fact]
    public async Task Inspect_resumes_a_partial_of_the_whole_length_but_not_longer()
    {
        using var lease = await Acquire(Base());
        File.WriteAllBytes(lease.PartialPath, new byte[4]);
        File.WriteAllLines(lease.MetaPath, ["\"E\"", "4"]);
        var whole = lease.Inspect();
        Assert.True(whole.CanResume);
        Assert.Equal(4, whole.Length);
        Assert.Equal(4, whole.Total);
        File.WriteAllLines(lease.MetaPath, ["\"E\"", "3"]);
        AssertEmpty(lease.Inspect());
        File.WriteAllLines(lease.MetaPath, ["\"E\"", "0"]);
        AssertEmpty(lease.Inspect());
    }

    private static Task<RecordingLease> AcquireDeferring(string finalBase, long eagerBytes) =>
        RecordingStore.AcquireAsync(finalBase, TimeSpan.FromSeconds(30), null, CancellationToken.None, eagerBytes);

    [Fact]
    public async Task A_small_recording_keeps_its_resume_record_in_memory_and_resumes_within_the_run()
    {
        using var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        using (var s = lease.Restart("\"E\"", 99)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        Assert.False(File.Exists(lease.MetaPath), "below the threshold no meta file is created up front");
        var state = lease.Inspect();
        Assert.True(state.CanResume);
        Assert.Equal(3, state.Length);
        Assert.Equal("\"E\"", state.Validator);
        Assert.Equal(99, state.Total);
        Assert.Equal(Base() + ".mp3", lease.Commit(".mp3", CancellationToken.None));
        lease.Dispose();
        Assert.False(File.Exists(lease.MetaPath), "a committed recording leaves no meta file");
    }

    [Fact]
    public async Task A_small_recordings_record_in_memory_vouches_only_for_a_partial_file_that_fits_it()
    {
        using var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        using (var s = lease.Restart("\"E\"", 3)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        var whole = lease.Inspect();
        Assert.Equal(3, whole.Length);
        Assert.True(whole.CanResume, "a partial file as long as the recording is whole: it is checked and moved, not fetched");

        using (var s = lease.OpenForAppend()) s.Write(new byte[] { 4 }, 0, 1);
        AssertEmpty(lease.Inspect()); // longer than the recording: not the bytes the record vouches for

        File.Delete(lease.PartialPath);
        AssertEmpty(lease.Inspect()); // gone (deleted by hand): nothing to resume
    }

    [Fact]
    public async Task A_small_partial_file_left_behind_gets_its_resume_record_on_release()
    {
        var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        using (var s = lease.Restart("\"E\"", 99)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        lease.Dispose();
        Assert.Equal(["\"E\"", "99"], File.ReadAllLines(RecordingStore.MetaPathFor(Base())));
        using var next = await Acquire(Base());
        var state = next.Inspect();
        Assert.True(state.CanResume, "the next run resumes what this one left behind");
        Assert.Equal(3, state.Length);
        Assert.Equal(99, state.Total);
    }

    [Fact]
    public async Task A_small_recording_with_no_byte_saved_leaves_no_meta_file()
    {
        var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        lease.Restart("\"E\"", 99).Dispose();
        lease.Dispose();
        Assert.False(File.Exists(lease.MetaPath));
    }

    [Fact]
    public async Task An_abandoned_small_partial_file_gets_no_resume_record()
    {
        var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        using (var s = lease.Restart("\"E\"", 99)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        lease.Abandon();
        using (var s = lease.Restart(null, 99)) s.Write(new byte[] { 4 }, 0, 1);
        lease.Dispose();
        Assert.False(File.Exists(lease.MetaPath), "the old validator would vouch for the new bytes");
    }

    [Theory]
    [InlineData(100L)]
    [InlineData(5000L)]
    [InlineData(-1L)]
    public async Task A_recording_at_the_threshold_or_of_unknown_length_gets_its_resume_record_before_any_byte(long total)
    {
        using var lease = await AcquireDeferring(Base(), eagerBytes: 100);
        using var s = lease.Restart("\"E\"", total);
        Assert.Equal(["\"E\"", total.ToString(System.Globalization.CultureInfo.InvariantCulture)], File.ReadAllLines(lease.MetaPath));
    }

    [Fact]
    public void The_save_engine_writes_resume_records_up_front_from_1_MiB()
    {
        Assert.Equal(1024 * 1024, new SaveOptions().EagerResumeRecordBytes);
    }

    [Fact]
    public async Task Restart_without_a_validator_forgets_the_old_one()
    {
        using var lease = await Acquire(Base());
        using (var s = lease.Restart("\"A\"", 10)) s.Write(new byte[4], 0, 4);
        Assert.True(File.Exists(lease.MetaPath));
        using (var s = lease.Restart(null, 10)) s.Write(new byte[3], 0, 3);
        Assert.False(File.Exists(lease.MetaPath), "the old validator would vouch for the new bytes");
        Assert.Equal(3, new FileInfo(lease.PartialPath).Length);
        AssertEmpty(lease.Inspect());
    }

    [Fact]
    public async Task Abandon_removes_the_partial_file_and_its_meta()
    {
        using var lease = await Acquire(Base());
        using (var s = lease.Restart("\"A\"", 10)) s.Write(new byte[4], 0, 4);
        lease.Abandon();
        Assert.False(File.Exists(lease.PartialPath));
        Assert.False(File.Exists(lease.MetaPath));
        lease.Abandon(); // nothing left: no error
    }

    [Fact]
    public async Task Append_continues_the_partial_file()
    {
        using var lease = await Acquire(Base());
        using (var s = lease.Restart("\"A\"", 10)) s.Write(new byte[] { 1, 2 }, 0, 2);
        using (var s = lease.OpenForAppend()) s.Write(new byte[] { 3 }, 0, 1);
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(lease.PartialPath));
    }

    [Fact]
    public async Task A_meta_file_that_cannot_be_written_fails_the_row_before_any_byte()
    {
        using var lease = await Acquire(Base());
        Directory.CreateDirectory(lease.MetaPath);
        var ex = Assert.Throws<DyplsException>(() => lease.Restart("\"A\"", 10));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.StartsWith($"could not write '{lease.MetaPath}': ", ex.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(lease.PartialPath));
    }

    [Fact]
    public async Task A_partial_file_that_cannot_be_opened_fails_the_row()
    {
        using var lease = await Acquire(Base());
        Directory.CreateDirectory(lease.PartialPath);
        var ex = Assert.Throws<DyplsException>(() => lease.OpenForAppend());
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.StartsWith($"could not write '{lease.PartialPath}': ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_commit_that_cannot_move_fails_the_row_and_keeps_the_partial()
    {
        using var lease = await Acquire(Base());
        using (var s = lease.Restart("\"E\"", 3)) s.Write(new byte[] { 1, 2, 3 }, 0, 3);
        Directory.CreateDirectory(Base() + ".mp3");
        var commit = Task.Run(() => lease.Commit(".mp3", CancellationToken.None));
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Within(commit, TimeSpan.FromSeconds(60)));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.StartsWith($"could not move the finished download to '{Base()}.mp3': ", ex.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(lease.PartialPath));
        Assert.True(File.Exists(lease.MetaPath));
    }

    [Fact]
    public async Task A_commit_without_a_partial_file_fails_the_row()
    {
        using var lease = await Acquire(Base());
        var ex = Assert.Throws<DyplsException>(() => lease.Commit(".mp3", CancellationToken.None));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.Null(RecordingStore.FindFinished(Base()));
    }
}
