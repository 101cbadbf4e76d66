using System;
using System.IO;
using System.Runtime.InteropServices;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>The final rename: one rename(2) on Linux on .NET, File.Move/Replace elsewhere; the same outcome either way.</summary>
public sealed class AtomicRenameTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-rename-" + Guid.NewGuid().ToString("N"));

    public AtomicRenameTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void The_native_rename_is_used_exactly_where_the_group_sync_is()
    {
        Assert.Equal(RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && Environment.Version.Major >= 5, AtomicRename.Native);
    }

    [Fact]
    public void A_move_replaces_an_older_file_and_leaves_no_source()
    {
        File.WriteAllText(P("a"), "new");
        File.WriteAllText(P("b"), "old");
        AtomicRename.Move(P("a"), P("b"));
        Assert.Equal("new", File.ReadAllText(P("b")));
        Assert.False(File.Exists(P("a")));
        File.WriteAllText(P("c"), "first");
        AtomicRename.Move(P("c"), P("d"));
        Assert.Equal("first", File.ReadAllText(P("d")));
    }

    [Fact]
    public void A_missing_source_is_a_file_not_found_naming_it()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => AtomicRename.Move(P("none"), P("b")));
        Assert.Contains(P("none"), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_folder_that_is_gone_is_an_io_error_not_a_missing_source()
    {
        File.WriteAllText(P("a"), "x");
        var ex = Assert.ThrowsAny<IOException>(() => AtomicRename.Move(P("a"), Path.Combine(_dir, "gone", "b")));
        Assert.IsNotType<FileNotFoundException>(ex);
        Assert.True(File.Exists(P("a")));
    }

    [Fact]
    public void A_folder_in_the_way_fails_with_the_errno_in_HResult_and_keeps_the_source()
    {
        File.WriteAllText(P("a"), "x");
        Directory.CreateDirectory(P("b"));
        File.WriteAllText(Path.Combine(P("b"), "inside"), "y");
        var ex = Assert.ThrowsAny<IOException>(() => AtomicRename.Move(P("a"), P("b")));
        Assert.True(File.Exists(P("a")));
        if (AtomicRename.Native)
        {
            Assert.Equal(21, ex.HResult); // EISDIR: a file cannot replace a folder
            Assert.Equal($"could not rename '{P("a")}' to '{P("b")}' (errno 21).", ex.Message);
        }
    }
}
