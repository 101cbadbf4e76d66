using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;

namespace Dypls.Downloads
{
    /// <summary>
    /// Group commit for one folder: makes finished partial files durable with one <c>syncfs</c> for every file that
    /// finished while the previous one ran, instead of one <c>fsync</c> each. A caller's task completes only after a sync
    /// that began after the caller asked, so its bytes (written before it asked) are on disk; only then is the file renamed
    /// to its final name. Thread-safe.
    /// </summary>
    /// <remarks>
    /// Why: on Linux every <c>fsync</c> of a new file forces a journal commit and a cache flush of its own. At thousands of
    /// small recordings that was the largest cost per file after the network (profiled with perf). <c>syncfs</c> writes
    /// everything dirty on the folder's file system, so a busy disk shared with other writers makes one sync slower, but
    /// each sync still ends when the disk has written what was dirty when it began. Used on Linux on .NET (Core) only;
    /// elsewhere (Windows, macOS, .NET Framework) each file gets its own flush.
    /// </remarks>
    internal sealed class GroupSync
    {
        /// <summary>True where <c>syncfs</c> exists and a FileStream's handle is the file descriptor.</summary>
        public static readonly bool Available =
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && Environment.Version.Major >= 5;

        // statfs f_type of local file systems whose syncfs writes every dirty file and waits for it: tmpfs (nothing to
        // write), ext2/3/4, XFS, Btrfs, F2FS, ZFS and overlay (containers; it syncs its upper layer). FUSE and network file
        // systems are left out: their syncfs may not reach the storage that an fsync of the file would.
        private static readonly uint[] LocalFileSystems = { 0x01021994, 0xEF53, 0x58465342, 0x9123683E, 0xF2F52010, 0x2FC12FC1, 0x794C7630 };

        /// <summary>Whether files in <paramref name="folder"/> can be made durable by a group sync (else: one flush per file).</summary>
        public static bool Supports(string folder)
        {
            if (!Available) return false;
            try
            {
                var buffer = new byte[512]; // struct statfs is 120 bytes on 64-bit Linux; f_type comes first
                // The path as the kernel reads it: UTF-8, NUL-terminated (netstandard2.0 has no UTF-8 string marshalling).
                if (statfs(System.Text.Encoding.UTF8.GetBytes(folder + "\0"), buffer) != 0) return false;
                // Every magic fits in 32 bits, and they are the low ones of f_type on little-endian machines. A big-endian
                // one reads 0 here: no match, so one flush per file, which is always safe.
                var type = (uint)BitConverter.ToInt32(buffer, 0);
                return Array.IndexOf(LocalFileSystems, type) >= 0;
            }
            catch (Exception ex) when (ex is DllNotFoundException || ex is EntryPointNotFoundException)
            {
                return false;
            }
        }

        /// <summary>A sync slower than this means other writers share the disk: the folder goes back to one flush per file.</summary>
        public static readonly TimeSpan DefaultSlowSync = TimeSpan.FromSeconds(2);

        private readonly Action<string> _sync;
        private readonly TimeSpan _slowSync;
        private readonly object _gate = new object();
        private volatile bool _slow;
        private bool _running;
        private TaskCompletionSource<bool>? _next;
        private List<string>? _nextPaths;

        /// <param name="sync">Makes the file system holding the given file durable (<see cref="SyncFileSystem"/>; tests count calls).</param>
        /// <param name="slowSync">See <see cref="DefaultSlowSync"/>.</param>
        public GroupSync(Action<string>? sync = null, TimeSpan? slowSync = null)
        {
            _sync = sync ?? SyncFileSystem;
            _slowSync = slowSync ?? DefaultSlowSync;
        }

        /// <summary>
        /// True once a sync took longer than the slow-sync limit. syncfs also writes what other processes left dirty on
        /// the file system; beside a heavy writer (a backup, a large copy) one fsync per file costs less, so the caller
        /// stops using this group for new files.
        /// </summary>
        public bool Slow => _slow;

        /// <summary>Completes when <paramref name="path"/>'s bytes written so far are on disk; faults with the sync's IOException.</summary>
        public Task SyncAsync(string path)
        {
            lock (_gate)
            {
                if (_next == null)
                {
                    _next = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _nextPaths = new List<string>();
                }
                _nextPaths!.Add(path);
                var task = _next.Task;
                if (!_running) StartNext();
                return task;
            }
        }

        // Under _gate: the waiting group becomes the running one; those who ask from now on wait for the sync after it.
        private void StartNext()
        {
            var group = _next!;
            var paths = _nextPaths!;
            _next = null;
            _nextPaths = null;
            _running = true;
            Task.Run(() =>
            {
                try
                {
                    var watch = System.Diagnostics.Stopwatch.StartNew();
                    SyncAny(paths);
                    if (watch.Elapsed > _slowSync) _slow = true;
                    group.SetResult(true);
                }
                catch (Exception ex)
                {
                    group.SetException(ex);
                }
                finally
                {
                    lock (_gate)
                    {
                        _running = false;
                        if (_next != null) StartNext();
                    }
                }
            });
        }

        // Any file of the group names the file system; one that vanished (its row was stopped) is no reason to fail the rest.
        private void SyncAny(List<string> paths)
        {
            for (var i = 0; ; i++)
            {
                try
                {
                    _sync(paths[i]);
                    return;
                }
                catch (FileNotFoundException) when (i < paths.Count - 1)
                {
                }
            }
        }

        /// <summary>syncfs(2) on the file system that holds <paramref name="path"/>.</summary>
        public static void SyncFileSystem(string path)
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            if (syncfs(file.SafeFileHandle.DangerousGetHandle().ToInt32()) != 0)
            {
                var errno = Marshal.GetLastWin32Error();
                // HResult carries errno as .NET's own IOExceptions do on Unix, so a full disk (ENOSPC) is told apart.
                throw new IOException($"the file system could not write '{path}' to disk (errno {errno}).", errno);
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int syncfs(int fd);

        [DllImport("libc", SetLastError = true)]
        private static extern int statfs(byte[] utf8Path, byte[] buffer);
    }
}
