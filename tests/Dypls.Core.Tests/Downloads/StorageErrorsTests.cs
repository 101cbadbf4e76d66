using System;
using System.IO;
using System.Runtime.InteropServices;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// What an I/O failure on the destination means, read from the HResult (Windows codes, or errno on Linux and macOS)
/// and, where a runtime gives only text, from the message.
/// </summary>
public class StorageErrorsTests
{
    private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
    private static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

    private static IOException Io(int hresult, string message = "it failed") => new(message, hresult);

    [Theory]
    [InlineData(unchecked((int)0x80070070))] // ERROR_DISK_FULL
    [InlineData(unchecked((int)0x80070027))] // ERROR_HANDLE_DISK_FULL
    public void Disk_full_codes_are_disk_full(int hresult)
    {
        Assert.True(StorageErrors.IsDiskFull(Io(hresult)));
    }

    [Fact]
    public void Enospc_is_disk_full_off_windows()
    {
        Assert.Equal(!IsWindows, StorageErrors.IsDiskFull(Io(28)));
    }

    [Fact]
    public void Quota_exceeded_is_disk_full_with_the_platforms_errno()
    {
        // EDQUOT is 122 on Linux, 69 on macOS.
        Assert.Equal(!IsMacOS && !IsWindows, StorageErrors.IsDiskFull(Io(122)));
        Assert.Equal(IsMacOS, StorageErrors.IsDiskFull(Io(69)));
    }

    [Theory]
    [InlineData(unchecked((int)0x80070005))] // access denied
    [InlineData(unchecked((int)0x80070020))] // sharing violation
    [InlineData(unchecked((int)0x8007001C))] // 28 in a Windows HResult is not ENOSPC
    [InlineData(unchecked((int)0x80000070))] // 112 in another facility
    [InlineData(5)]
    [InlineData(0)]
    public void Other_codes_are_not_disk_full(int hresult)
    {
        Assert.False(StorageErrors.IsDiskFull(Io(hresult)));
    }

    [Theory]
    [InlineData("No space left on device")]
    [InlineData("Disk full")]
    [InlineData("There is not enough space on the disk.")]
    [InlineData("not enough space on the disk")]
    [InlineData("Disk quota exceeded")]
    [InlineData("write failed: DISK QUOTA EXCEEDED : /x")]
    [InlineData("write failed: no space left on device")]
    [InlineData("write failed: disk full")]
    public void Runtimes_that_give_only_text_are_read_by_it(string message)
    {
        Assert.True(StorageErrors.IsDiskFull(Io(unchecked((int)0x80131620), message)));
    }

    [Fact]
    public void Only_an_io_failure_counts_and_it_may_be_wrapped()
    {
        Assert.False(StorageErrors.IsDiskFull(new InvalidOperationException("No space left on device")));
        Assert.False(StorageErrors.IsDiskFull(new IOException("Permission denied")));
        Assert.True(StorageErrors.IsDiskFull(new InvalidOperationException("outer", Io(unchecked((int)0x80070070)))));
        Assert.True(StorageErrors.IsDiskFull(new InvalidOperationException("outer", new InvalidOperationException("middle", Io(0, "No space left on device")))));
        Assert.True(StorageErrors.IsDiskFull(new IOException("outer", Io(unchecked((int)0x80070027)))));
        Assert.False(StorageErrors.IsDiskFull(new InvalidOperationException("outer", new InvalidOperationException("Disk full"))));
    }

    [Theory]
    [InlineData(unchecked((int)0x80070020))] // ERROR_SHARING_VIOLATION
    [InlineData(unchecked((int)0x80070021))] // ERROR_LOCK_VIOLATION
    public void Windows_sharing_codes_are_sharing_violations(int hresult)
    {
        Assert.True(StorageErrors.IsSharingViolation(Io(hresult)));
    }

    [Fact]
    public void A_windows_code_decides_whatever_the_message_says()
    {
        Assert.False(StorageErrors.IsSharingViolation(Io(unchecked((int)0x80070005), "Sharing violation")));
        Assert.False(StorageErrors.IsSharingViolation(Io(unchecked((int)0x80070070), "being used by another process")));
    }

    [Theory]
    [InlineData(11)] // EWOULDBLOCK on Linux
    [InlineData(35)] // EWOULDBLOCK on macOS
    public void Ewouldblock_from_flock_is_a_sharing_violation_off_windows(int hresult)
    {
        Assert.Equal(!IsWindows, StorageErrors.IsSharingViolation(Io(hresult)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(12)]
    [InlineData(34)]
    [InlineData(36)]
    [InlineData(unchecked((int)0x80131620))]
    public void Other_codes_without_the_words_are_not_sharing_violations(int hresult)
    {
        Assert.False(StorageErrors.IsSharingViolation(Io(hresult)));
    }

    [Theory]
    [InlineData("The process cannot access the file because it is being used by another process.")]
    [InlineData("being used by another process")]
    [InlineData("Sharing violation on path /x")]
    [InlineData("sharing VIOLATION")]
    public void Runtimes_that_give_only_text_are_read_by_it_for_sharing_too(string message)
    {
        Assert.True(StorageErrors.IsSharingViolation(Io(unchecked((int)0x80131620), message)));
    }

    [Fact]
    public void Missing_paths_and_long_paths_and_other_exceptions_are_never_sharing_violations()
    {
        // EWOULDBLOCK and the words, which would make a plain IOException a sharing violation.
        const string text = "Sharing violation";
        Assert.False(StorageErrors.IsSharingViolation(new NotFound(text, 11)));
        Assert.False(StorageErrors.IsSharingViolation(new NoFolder(text, 11)));
        Assert.False(StorageErrors.IsSharingViolation(new TooLong(text, 11)));
        Assert.False(StorageErrors.IsSharingViolation(new Denied(text, 11)));
        Assert.True(StorageErrors.IsSharingViolation(Io(11, text)));
    }

    // HResult is settable only from a subclass on .NET Framework.
    private sealed class NotFound : FileNotFoundException
    {
        public NotFound(string message, int hresult) : base(message) => HResult = hresult;
    }

    private sealed class NoFolder : DirectoryNotFoundException
    {
        public NoFolder(string message, int hresult) : base(message) => HResult = hresult;
    }

    private sealed class TooLong : PathTooLongException
    {
        public TooLong(string message, int hresult) : base(message) => HResult = hresult;
    }

    private sealed class Denied : UnauthorizedAccessException
    {
        public Denied(string message, int hresult) : base(message) => HResult = hresult;
    }

    [Fact]
    public void A_full_disk_stops_the_run_and_says_what_to_do()
    {
        var dir = Path.Combine(Path.GetTempPath(), "dest");
        var inner = Io(unchecked((int)0x80070070), " No space left on device ");
        var e = StorageErrors.ForWrite(inner, "write", Path.Combine(dir, "x.mp3"));
        Assert.Equal("DiskFull", e.ErrorId);
        Assert.True(e.StopsRun);
        Assert.Same(inner, e.InnerException);
        Assert.StartsWith($"The disk holding '{dir}' is full (No space left on device). Recordings saved so far are complete;", e.Message, StringComparison.Ordinal);
        Assert.Contains(".dypls-partial", e.Message);
        Assert.EndsWith("run the same command again.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_other_write_failure_fails_only_the_row()
    {
        var path = Path.Combine(Path.GetTempPath(), "dest", "x.mp3");
        var inner = new IOException("Permission denied");
        var e = StorageErrors.ForWrite(inner, "move the finished download to", path);
        Assert.Equal("DestinationNotWritable", e.ErrorId);
        Assert.False(e.StopsRun);
        Assert.Same(inner, e.InnerException);
        Assert.Equal($"could not move the finished download to '{path}': Permission denied", e.Message);
    }
}
