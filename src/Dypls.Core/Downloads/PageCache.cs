using System;
using System.IO;
using System.Runtime.InteropServices;

namespace Dypls.Downloads
{
    /// <summary>
    /// Gives a finished recording's pages back to the system once they are on disk (Linux: posix_fadvise DONTNEED), as
    /// <c>dd oflag=nocache</c> does. Only advice: a failure changes nothing, and the file reads back the same from disk.
    /// </summary>
    /// <remarks>
    /// Why: a bulk job writes gigabytes it never reads again. Left in the page cache they push out what the machine's
    /// other work has cached, and the kernel has to find fresh memory for every new page. On a cloud VM that is costly
    /// in kernel time once the recently freed memory is used up (docs/performance.md). Clean pages only are dropped, so
    /// this runs after the file was made durable.
    /// </remarks>
    internal static class PageCache
    {
        /// <summary>Recordings from this size on are dropped from the cache; below it the open and the call cost more than the pages.</summary>
        public const long DropFrom = 1L << 20;

        /// <summary>
        /// Linux on .NET (Core), where a FileStream's handle is the file descriptor, on x64 and Arm64: there off_t is 64
        /// bits and POSIX_FADV_DONTNEED is 4 (it is 6 on s390x, and 32-bit ABIs split the offsets).
        /// </summary>
        public static readonly bool Available = GroupSync.Available
            && (RuntimeInformation.ProcessArchitecture == Architecture.X64 || RuntimeInformation.ProcessArchitecture == Architecture.Arm64);

        private const int PosixFadviseDontNeed = 4;

        /// <summary>Asks the kernel to drop <paramref name="path"/>'s clean pages from the page cache; never throws.</summary>
        public static void Drop(string path)
        {
            if (!Available) return;
            try
            {
                using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
                // Returns an error number rather than setting errno; there is nothing to do about one.
                _ = posix_fadvise(file.SafeFileHandle.DangerousGetHandle().ToInt32(), 0, 0, PosixFadviseDontNeed);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is DllNotFoundException || ex is EntryPointNotFoundException)
            {
            }
        }

        [DllImport("libc")]
        private static extern int posix_fadvise(int fd, long offset, long length, int advice);
    }
}
