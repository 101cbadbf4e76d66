using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace Dypls.Downloads
{
    /// <summary>
    /// Moves a finished partial file to its final name in one step, replacing an older file there. On Linux this is one
    /// rename(2), which replaces atomically. File.Exists, then File.Move or File.Replace, would add several lstat calls per
    /// recording, each a dentry walk under a folder that every worker writes to.
    /// </summary>
    internal static class AtomicRename
    {
        /// <summary>Linux on .NET (Core): the same gate as <see cref="GroupSync.Available"/>; elsewhere File.Move/Replace.</summary>
        public static readonly bool Native = GroupSync.Available;

        /// <summary>Moves <paramref name="from"/> over <paramref name="to"/>; an IOException (HResult = errno on Unix) on failure.</summary>
        public static void Move(string from, string to)
        {
            if (Native)
            {
                // The paths as the kernel reads them: UTF-8, NUL-terminated (netstandard2.0 has no UTF-8 string marshalling).
                if (rename(Encoding.UTF8.GetBytes(from + "\0"), Encoding.UTF8.GetBytes(to + "\0")) == 0) return;
                var errno = Marshal.GetLastWin32Error();
                // HResult carries errno as .NET's own IOExceptions do on Unix, so a full disk (ENOSPC) is told apart.
                if (errno == 2 && !File.Exists(from)) throw new FileNotFoundException($"Could not find file '{from}'.", from);
                throw new IOException($"could not rename '{from}' to '{to}' (errno {errno}).", errno);
            }
            if (File.Exists(to)) File.Replace(from, to, null);
            else File.Move(from, to);
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int rename(byte[] oldUtf8Path, byte[] newUtf8Path);
    }
}
