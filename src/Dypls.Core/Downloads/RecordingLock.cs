using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Dypls.Downloads
{
    /// <summary>
    /// Cross-process ownership of one recording: a hidden lock file opened with FileShare.None. On Windows that is a
    /// share-mode lock, taken atomically with the open; elsewhere .NET takes flock(LOCK_EX), which also excludes a
    /// second handle in the same process. Either way the OS drops it when the owner's process dies, even by SIGKILL,
    /// so a leftover lock file is just an empty file the next run reuses.
    /// </summary>
    /// <remarks>
    /// The lock file is removed on release. On Unix open and flock are two steps, so a waiter may open the file, the
    /// owner then unlinks it and lets go, and the waiter's flock succeeds on a file no longer in the folder, while a
    /// third run creates and locks a new one. To rule that out, each owner stamps the file it locked with a fresh
    /// length (sparse, a few KB at most) and checks that the path still shows that length; otherwise it lets go and
    /// tries again. On Windows the file is opened with DeleteOnClose, which the OS applies even when the process dies.
    /// </remarks>
    internal sealed class RecordingLock : IDisposable
    {
        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        private static int _stampSeed = Environment.TickCount ^ Guid.NewGuid().GetHashCode();

        private readonly FileStream _file;
        private readonly object _gate = new object();
        private bool _released;

        private RecordingLock(FileStream file, string path)
        {
            _file = file;
            Path = path;
        }

        public string Path { get; }

        /// <summary>The lock, or null when another owner holds it (or it was released under us: just try again).</summary>
        public static RecordingLock? TryAcquire(string path)
        {
            FileStream file;
            try
            {
                file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1,
                    IsWindows ? FileOptions.DeleteOnClose : FileOptions.None);
            }
            catch (IOException ex) when (StorageErrors.IsSharingViolation(ex))
            {
                return null;
            }
            catch (UnauthorizedAccessException) when (IsWindows && File.Exists(path))
            {
                // A lock file whose owner just closed it is "delete pending" for a moment on Windows.
                return null;
            }

            if (!IsWindows)
            {
                try
                {
                    var stamp = NextStamp(file.Length);
                    file.SetLength(stamp);
                    var seen = new FileInfo(path);
                    if (!seen.Exists || seen.Length != stamp)
                    {
                        file.Dispose();
                        return null;
                    }
                }
                catch
                {
                    file.Dispose();
                    throw;
                }
            }
            return new RecordingLock(file, path);
        }

        /// <summary>Proof of life for waiters: touches the lock file's write time.</summary>
        public void Heartbeat()
        {
            lock (_gate)
            {
                if (_released) return;
                try
                {
                    _file.Position = 0;
                    _file.WriteByte(1);
                    _file.Flush();
                }
                catch (IOException) { }
                catch (ObjectDisposedException) { }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                if (_released) return;
                _released = true;
                // Unlink while still holding the lock (see remarks); Windows deletes on close.
                if (!IsWindows)
                {
                    try { File.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                }
                _file.Dispose();
            }
        }

        private static long NextStamp(long current)
        {
            while (true)
            {
                var s = (uint)Interlocked.Increment(ref _stampSeed) * 2654435761u;
                var stamp = 1 + (long)(s % 8191);
                if (stamp != current) return stamp;
            }
        }
    }
}
