using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// <see cref="PageCache.Drop"/> on the real kernel: a file written and made durable is in the page cache, and after the
/// drop none of it is (util-linux's fincore counts the resident bytes), yet it reads back the same.
/// </summary>
public sealed class PageCacheTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-cache-" + Guid.NewGuid().ToString("N"));

    public PageCacheTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void A_durable_file_leaves_the_page_cache_and_reads_back_the_same()
    {
        if (!PageCache.Available || Fincore() is not string fincore) return; // Linux x64/Arm64 on .NET, with util-linux
        var path = Path.Combine(_dir, "recording.mp3.partial");
        var bytes = new byte[4 << 20];
        new Random(11).NextBytes(bytes);
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1))
        {
            stream.Write(bytes, 0, bytes.Length);
            stream.Flush(flushToDisk: true);
        }
        Assert.True(Resident(fincore, path) > 0, "a file just written is in the page cache");

        PageCache.Drop(path);

        Assert.Equal(0, Resident(fincore, path));
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void A_file_another_handle_holds_open_leaves_the_page_cache_too()
    {
        // Another run, a scanner or an indexer may hold the file open: the drop must not ask for it alone.
        if (!PageCache.Available || Fincore() is not string fincore) return;
        var path = Path.Combine(_dir, "held.mp3.partial");
        var bytes = new byte[2 << 20];
        new Random(12).NextBytes(bytes);
        using var holder = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1);
        holder.Write(bytes, 0, bytes.Length);
        holder.Flush(flushToDisk: true);
        Assert.True(Resident(fincore, path) > 0, "a file just written is in the page cache");

        PageCache.Drop(path);

        Assert.Equal(0, Resident(fincore, path));
    }

    [Fact]
    public void Only_Linux_on_dotnet_x64_or_Arm64_drops()
    {
#if NETFRAMEWORK
        Assert.False(PageCache.Available, ".NET Framework and Mono leave the page cache alone");
#else
        var architecture = RuntimeInformation.ProcessArchitecture;
        Assert.Equal(OperatingSystem.IsLinux() && (architecture == Architecture.X64 || architecture == Architecture.Arm64), PageCache.Available);
#endif
    }

    [Fact]
    public void A_file_that_is_gone_is_no_error()
    {
        PageCache.Drop(Path.Combine(_dir, "gone.mp3.partial"));
    }

    private static string? Fincore()
    {
        foreach (var candidate in new[] { "/usr/bin/fincore", "/bin/fincore" })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>Bytes of <paramref name="path"/> in the page cache.</summary>
    private static long Resident(string fincore, string path)
    {
        var start = new ProcessStartInfo(fincore, $"--bytes --noheadings --output RES \"{path}\"") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(30_000), "fincore did not end");
        Assert.Equal(0, process.ExitCode);
        return long.Parse(output.Trim(), CultureInfo.InvariantCulture);
    }
}
