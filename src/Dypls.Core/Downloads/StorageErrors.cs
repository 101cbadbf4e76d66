using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Dypls.Downloads
{
    /// <summary>
    /// Reads what an I/O failure on the destination means. A full disk fails every row alike, so it stops the run;
    /// a sharing violation means another program (or run) has the file open, which is worth a short wait.
    /// </summary>
    internal static class StorageErrors
    {
        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        private static readonly bool IsMacOS = RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

        /// <summary>ENOSPC / EDQUOT on Linux and macOS (.NET puts errno in HResult there); ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
        public static bool IsDiskFull(Exception ex)
        {
            for (var e = ex; e != null; e = e.InnerException)
            {
                if (!(e is IOException)) continue;
                var code = e.HResult;
                if (IsWindows || (code & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000))
                {
                    var win32 = code & 0xFFFF;
                    if (win32 == 112 || win32 == 39) return true;
                }
                else if (code == 28 || code == (IsMacOS ? 69 : 122))
                {
                    return true;
                }
                // Mono and older runtimes put only the text in.
                var m = e.Message;
                if (m.IndexOf("No space left on device", StringComparison.OrdinalIgnoreCase) >= 0 ||
                    m.IndexOf("Disk full", StringComparison.OrdinalIgnoreCase) >= 0 ||
                    m.IndexOf("not enough space on the disk", StringComparison.OrdinalIgnoreCase) >= 0 ||
                    m.IndexOf("Disk quota exceeded", StringComparison.OrdinalIgnoreCase) >= 0)
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>Another handle has the file open in a way that excludes ours (share mode on Windows, flock elsewhere).</summary>
        public static bool IsSharingViolation(Exception ex)
        {
            if (!(ex is IOException) || ex is FileNotFoundException || ex is DirectoryNotFoundException || ex is PathTooLongException) return false;
            var code = ex.HResult;
            if ((code & unchecked((int)0xFFFF0000)) == unchecked((int)0x80070000))
            {
                var win32 = code & 0xFFFF;
                return win32 == 32 || win32 == 33; // ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION
            }
            if (!IsWindows && (code == 11 || code == 35)) return true; // EWOULDBLOCK (Linux, macOS) from flock
            return ex.Message.IndexOf("being used by another process", StringComparison.OrdinalIgnoreCase) >= 0 ||
                   ex.Message.IndexOf("Sharing violation", StringComparison.OrdinalIgnoreCase) >= 0;
        }

        /// <summary>The error for a failed write below the destination: DiskFull stops the run, anything else fails the row.</summary>
        public static DyplsException ForWrite(Exception ex, string what, string path)
        {
            if (IsDiskFull(ex))
            {
                return new DyplsException("DiskFull",
                    $"The disk holding '{Path.GetDirectoryName(path)}' is full ({ex.Message.Trim()}). Recordings saved so far are complete; " +
                    "transfers in flight were kept as .dypls-partial files and resume on the next run. Free some space (or choose another -Destination) and run the same command again.",
                    ex, stopsRun: true, category: FailureCategory.WriteError);
            }
            return new DyplsException("DestinationNotWritable", $"could not {what} '{path}': {ex.Message}{PathTooLongAdvice(ex, path)}", ex, category: FailureCategory.WriteError);
        }

        /// <summary>
        /// For a path that is too long: what to do. Windows PowerShell 5.1 (powershell.exe) is not long-path aware, so the
        /// .NET Framework refuses any path of 260 characters or more, whatever the LongPathsEnabled policy says; Linux
        /// and macOS refuse 4096 (1024) and any name over 255 bytes. The refusal comes before a byte is written: the
        /// hidden names of a recording are longer than its final one, so nothing half-written can appear.
        /// </summary>
        public static string PathTooLongAdvice(Exception ex, string path)
        {
            if (!(ex is PathTooLongException)) return string.Empty;
            return $" The path is {path.Length} characters long. Windows PowerShell 5.1 cannot use paths of 260 characters or more: " +
                   "choose a shorter -Destination or -FileNameTemplate, or run the command in PowerShell 7.";
        }
    }
}
