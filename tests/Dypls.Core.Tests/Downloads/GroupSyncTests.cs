using System;
using System.Collections.Concurrent;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// The group commit of one folder (<see cref="GroupSync"/>): a caller is released only by a sync that began after it
/// asked, and callers that ask while a sync runs share the next one. The sync itself is scripted here, so each step is
/// seen; the real syncfs is tested at the end.
/// </summary>
public sealed class GroupSyncTests : IDisposable
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(10);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-sync-" + Guid.NewGuid().ToString("N"));

    // Each sync call waits for its own release; the paths it was given are recorded in order.
    private readonly ConcurrentQueue<string> _synced = new();
    private readonly SemaphoreSlim _started = new(0);
    private readonly SemaphoreSlim _release = new(0);
    private Exception? _failNext;

    public GroupSyncTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private GroupSync Scripted() => new(path =>
    {
        _synced.Enqueue(path);
        _started.Release();
        if (!_release.Wait(Soon)) throw new TimeoutException("the test never released the sync");
        var fail = Interlocked.Exchange(ref _failNext, null);
        if (fail != null) throw fail;
    });

    private async Task SyncStarted() => Assert.True(await _started.WaitAsync(Soon), "no sync started");

    private static async Task Done(Task task) => Assert.Same(task, await Task.WhenAny(task, Task.Delay(Soon)));

    [Fact]
    public async Task Callers_that_ask_while_a_sync_runs_wait_for_the_next_one_and_share_it()
    {
        var sync = Scripted();
        var a = sync.SyncAsync("a");
        await SyncStarted();
        var b = sync.SyncAsync("b");
        var c = sync.SyncAsync("c");
        await Task.Delay(100);
        Assert.False(a.IsCompleted || b.IsCompleted || c.IsCompleted);

        _release.Release();
        await Done(a);
        await SyncStarted();
        await Task.Delay(100);
        Assert.False(b.IsCompleted, "b asked after the first sync began: that sync does not cover its bytes");
        Assert.False(c.IsCompleted);

        _release.Release();
        await Done(Task.WhenAll(b, c));
        Assert.Equal(["a", "b"], _synced.ToArray());
        Assert.Equal(0, _started.CurrentCount);
    }

    [Fact]
    public async Task A_caller_with_no_sync_running_starts_one_at_once()
    {
        var sync = Scripted();
        _release.Release(2);
        await Done(sync.SyncAsync("a"));
        await Done(sync.SyncAsync("b"));
        Assert.Equal(["a", "b"], _synced.ToArray());
    }

    [Fact]
    public async Task A_failed_sync_fails_its_whole_group_and_the_next_group_syncs_again()
    {
        var sync = Scripted();
        var first = sync.SyncAsync("first");
        await SyncStarted();
        var a = sync.SyncAsync("a");
        var b = sync.SyncAsync("b");
        _release.Release();
        await Done(first);

        await SyncStarted();
        _failNext = new IOException("No space left on device", 28);
        _release.Release();
        var ex = await Assert.ThrowsAsync<IOException>(() => a);
        Assert.Equal(28, ex.HResult);
        Assert.Same(ex, await Assert.ThrowsAsync<IOException>(() => b));

        _release.Release();
        await Done(sync.SyncAsync("later"));
        Assert.Equal(["first", "a", "later"], _synced.ToArray());
    }

    [Fact]
    public async Task A_file_of_the_group_that_vanished_is_passed_over_for_another()
    {
        var tried = new ConcurrentQueue<string>();
        var gate = new ManualResetEventSlim();
        var sync = new GroupSync(path =>
        {
            tried.Enqueue(path);
            if (path == "first") { gate.Wait(Soon); return; }
            if (path == "gone") throw new FileNotFoundException("gone", path);
        });
        var first = sync.SyncAsync("first");
        var gone = sync.SyncAsync("gone");
        var kept = sync.SyncAsync("kept");
        gate.Set();
        await Done(Task.WhenAll(first, gone, kept));
        Assert.Equal(["first", "gone", "kept"], tried.ToArray());
    }

    [Fact]
    public async Task When_every_file_of_the_group_vanished_the_group_fails()
    {
        var sync = new GroupSync(path => throw new FileNotFoundException("gone", path));
        await Assert.ThrowsAsync<FileNotFoundException>(() => sync.SyncAsync("gone"));
    }

    [Fact]
    public void The_real_sync_writes_a_files_file_system_to_disk_and_names_a_missing_file()
    {
        if (!GroupSync.Available) return; // Linux on .NET only: elsewhere the saver flushes each file on its own
        var path = Path.Combine(_dir, "x.bin");
        File.WriteAllBytes(path, new byte[4096]);
        GroupSync.SyncFileSystem(path);
        Assert.Throws<FileNotFoundException>(() => GroupSync.SyncFileSystem(Path.Combine(_dir, "missing.bin")));
    }

    [Fact]
    public void Only_local_file_systems_get_group_syncs()
    {
#if NET
        Assert.Equal(System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux), GroupSync.Available);
#else
        Assert.False(GroupSync.Available, ".NET Framework and Mono flush each file on its own");
#endif
        if (!GroupSync.Available)
        {
            Assert.False(GroupSync.Supports(_dir), "without syncfs every file is flushed on its own");
            return;
        }
        Assert.True(GroupSync.Supports("/dev/shm"), "tmpfs is local");
        Assert.False(GroupSync.Supports("/proc"), "procfs is not among the local file systems");
        Assert.False(GroupSync.Supports(Path.Combine(_dir, "missing")), "a folder statfs cannot see gets one flush per file");
    }

    [Fact]
    public async Task A_sync_slower_than_the_limit_marks_the_folder_slow_and_a_quick_one_does_not()
    {
        var quick = new GroupSync(_ => { }, slowSync: TimeSpan.FromSeconds(5));
        await Done(quick.SyncAsync("a"));
        Assert.False(quick.Slow);

        var slow = new GroupSync(_ => Thread.Sleep(300), slowSync: TimeSpan.FromMilliseconds(250));
        Assert.False(slow.Slow);
        await Done(slow.SyncAsync("a"));
        Assert.True(slow.Slow, "beside a heavy writer each file is flushed on its own from now on");
        Assert.Equal(TimeSpan.FromSeconds(2), GroupSync.DefaultSlowSync);
    }
}
