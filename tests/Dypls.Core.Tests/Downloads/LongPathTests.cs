using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// A path too long for the runtime fails the row with a clear error before a byte is written. Windows PowerShell 5.1
/// refuses 260 characters; here the same refusal is made with a name over 255 bytes, which Linux refuses on .NET and
/// on Mono alike (PathTooLongException on all three).
/// </summary>
public sealed class LongPathTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-longpath-" + Guid.NewGuid().ToString("N"));

    public LongPathTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_recording_whose_hidden_names_are_too_long_fails_clearly_and_leaves_nothing()
    {
        // The final name (248 + ".mp3") would fit in Linux's 255 bytes; the hidden lock and partial names (".name.dypls-…") do not: they are longer, so
        // the refusal always comes before anything is written, and no half-written file can appear at any name.
        var finalBase = Path.Combine(_dir, new string('c', 248));
        var ex = await Assert.ThrowsAsync<DyplsException>(() => RecordingStore.AcquireAsync(finalBase, TimeSpan.FromSeconds(5), null, CancellationToken.None));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.IsType<PathTooLongException>(ex.InnerException);
        Assert.Contains("characters long", ex.Message);
        Assert.Contains("Windows PowerShell 5.1 cannot use paths of 260 characters or more", ex.Message);
        Assert.Contains("-FileNameTemplate", ex.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Advice_only_for_a_path_that_is_too_long()
    {
        var path = Path.Combine(_dir, new string('x', 300));
        Assert.Equal(string.Empty, StorageErrors.PathTooLongAdvice(new IOException("disk"), path));
        Assert.Contains($"{path.Length} characters long", StorageErrors.PathTooLongAdvice(new PathTooLongException(), path));
        var e = StorageErrors.ForWrite(new PathTooLongException("too long"), "write", path);
        Assert.Equal("DestinationNotWritable", e.ErrorId);
        Assert.False(e.StopsRun);
        Assert.Contains("PowerShell 7", e.Message);
    }
}
