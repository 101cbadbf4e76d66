using System;
using System.Collections.Generic;
using System.IO;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>The cross-process lock file of one recording, on its own.</summary>
public sealed class RecordingLockTests : IDisposable
{
    private static readonly bool IsWindows = System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Windows);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-lock-" + Guid.NewGuid().ToString("N"));

    public RecordingLockTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string LockPath => Path.Combine(_dir, ".call.dypls-lock");

    [Fact]
    public void A_held_lock_is_refused_and_left_alone()
    {
        using var held = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(held);
        Assert.Equal(LockPath, held!.Path);
        var length = new FileInfo(LockPath).Length;
        Assert.Null(RecordingLock.TryAcquire(LockPath));
        Assert.Null(RecordingLock.TryAcquire(LockPath));
        Assert.True(File.Exists(LockPath), "a refused claimant removed the owner's lock file");
        Assert.Equal(length, new FileInfo(LockPath).Length);
    }

    [Fact]
    public void Release_removes_the_lock_file_and_frees_the_recording()
    {
        var first = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(first);
        first!.Dispose();
        Assert.False(File.Exists(LockPath));
        using var second = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(second);
    }

    [Fact]
    public void Off_windows_each_owner_stamps_the_lock_file_with_a_small_length_of_its_own()
    {
        if (IsWindows) return; // Windows deletes on close; there is no stamp to check
        var stamps = new HashSet<long>();
        File.WriteAllText(LockPath, "x"); // a leftover of one byte: the stamp differs from it
        for (var i = 0; i < 20; i++)
        {
            using var held = RecordingLock.TryAcquire(LockPath);
            Assert.NotNull(held);
            var length = new FileInfo(LockPath).Length;
            Assert.InRange(length, 1, 8191);
            if (i == 0) Assert.NotEqual(1, length);
            stamps.Add(length);
        }
        Assert.True(stamps.Count > 10, $"only {stamps.Count} different stamps in 20 owners");
    }

    [Fact]
    public void A_heartbeat_touches_the_lock_file()
    {
        using var held = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(held);
        var old = new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(LockPath, old);
        Assert.Equal(old, File.GetLastWriteTimeUtc(LockPath));
        held!.Heartbeat();
        Assert.True(File.GetLastWriteTimeUtc(LockPath) > old.AddDays(1), "the heartbeat left the write time as it was");
    }

    [Fact]
    public void Heartbeat_and_release_after_release_do_nothing()
    {
        var first = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(first);
        first!.Dispose();
        using var next = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(next);
        first.Heartbeat();
        first.Dispose();
        Assert.True(File.Exists(LockPath), "a released owner removed the next owner's lock file");
        Assert.Null(RecordingLock.TryAcquire(LockPath));
    }

    [Fact]
    public void Release_closes_the_handle()
    {
        // Linux lists a process's open files in /proc/self/fd; elsewhere there is nothing to look at, and the
        // .NET Framework (the net472 lane) cannot read a link's target.
        if (!Directory.Exists("/proc/self/fd") || OpenFiles() is null) return;
        var held = RecordingLock.TryAcquire(LockPath);
        Assert.NotNull(held);
        Assert.Contains(OpenFiles()!, f => f.StartsWith(LockPath, StringComparison.Ordinal));
        held!.Dispose();
        Assert.DoesNotContain(OpenFiles()!, f => f.StartsWith(LockPath, StringComparison.Ordinal));
    }

    private static List<string>? OpenFiles()
    {
#if NETFRAMEWORK
        return null;
#else
        var files = new List<string>();
        foreach (var fd in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target != null) files.Add(target);
            }
            catch (IOException) { }
        }
        return files;
#endif
    }
}
