using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Downloads
{
    /// <summary>
    /// Owns every file of one recording beside its final name: the finished file "&lt;name&gt;.&lt;ext&gt;", the hidden
    /// ".&lt;name&gt;.dypls-partial" with its ".meta" (validator and length, for resuming) and ".&lt;name&gt;.dypls-lock".
    /// Nothing here reads the network. Work on the partial file needs a <see cref="RecordingLease"/>, held from the first
    /// look at what is on disk to the final rename, so runs that overlap (other processes, other pipelines) never
    /// interleave on one recording.
    /// </summary>
    internal static class RecordingStore
    {
        /// <summary>Extensions a finished recording may have; a file "&lt;name&gt;.&lt;ext&gt;" with one of them counts as done.</summary>
        public static readonly IReadOnlyList<string> KnownExtensions = new[] { ".mp3", ".wav", ".m4a", ".amr", ".ogg", ".aac", ".opus", ".wma", ".flac", ".bin" };

        public const string LockSuffix = ".dypls-lock";
        public const string MetaSuffix = ".meta";

        public static string PartialPathFor(string finalBase) => Hidden(finalBase, FileNameSanitizer.PartialSuffix);

        public static string MetaPathFor(string finalBase) => PartialPathFor(finalBase) + MetaSuffix;

        public static string LockPathFor(string finalBase) => Hidden(finalBase, LockSuffix);

        private static string Hidden(string finalBase, string suffix)
        {
            var dir = Path.GetDirectoryName(finalBase) ?? ".";
            return Path.Combine(dir, "." + Path.GetFileName(finalBase) + suffix);
        }

        /// <summary>
        /// The finished file for this base path, if any (<paramref name="preferredExtension"/> first, then every known
        /// extension). <paramref name="isFinished"/> tells whether a path is there (default: File.Exists).
        /// </summary>
        public static string? FindFinished(string finalBase, string? preferredExtension = null, Func<string, bool>? isFinished = null)
        {
            isFinished ??= File.Exists;
            if (preferredExtension != null && isFinished(finalBase + preferredExtension)) return finalBase + preferredExtension;
            foreach (var ext in KnownExtensions)
            {
                if (string.Equals(ext, preferredExtension, StringComparison.Ordinal)) continue; // looked at above
                var p = finalBase + ext;
                if (isFinished(p)) return p;
            }
            return null;
        }

        /// <summary>
        /// Takes ownership of the recording. While another owner holds it, waits (cancellably) as long as that owner shows
        /// signs of life: its heartbeat on the lock file, or its partial file growing. When the owner finishes or dies, the
        /// lease is ours. Only a wait with no sign of life for <paramref name="noProgressLimit"/> fails, with RecordingBusy.
        /// <paramref name="eagerResumeRecordBytes"/>: see <see cref="SaveOptions.EagerResumeRecordBytes"/> (0: always up front).
        /// </summary>
        public static async Task<RecordingLease> AcquireAsync(string finalBase, TimeSpan noProgressLimit, Action<string>? trace, CancellationToken cancellationToken, long eagerResumeRecordBytes = 0)
        {
            var lockPath = LockPathFor(finalBase);
            var partial = PartialPathFor(finalBase);
            Random? random = null; // only a wait needs one: seeding it costs more than the rest of an uncontended acquire
            var lastSign = default(OwnerSign);
            var lastProgress = DateTime.UtcNow;
            var announced = false;
            var unauthorized = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                RecordingLock? held;
                try
                {
                    held = RecordingLock.TryAcquire(lockPath);
                }
                catch (UnauthorizedAccessException ex)
                {
                    // Windows answers "access denied" for a lock file that is being deleted: a few quick retries tell that from a real denial.
                    if (++unauthorized > 20) throw StorageErrors.ForWrite(ex, "create the lock file", lockPath);
                    held = null;
                }
                catch (IOException ex)
                {
                    throw StorageErrors.ForWrite(ex, "create the lock file", lockPath);
                }
                if (held != null) return new RecordingLease(finalBase, held, eagerResumeRecordBytes);

                var sign = OwnerSign.Read(lockPath, partial);
                var now = DateTime.UtcNow;
                if (!sign.Same(lastSign))
                {
                    lastSign = sign;
                    lastProgress = now;
                }
                else if (now - lastProgress > noProgressLimit)
                {
                    throw new DyplsException("RecordingBusy",
                        $"another run has been holding '{Path.GetFileName(finalBase)}' for {noProgressLimit.TotalSeconds:0} s without any progress " +
                        $"(its lock file is '{lockPath}'). If no other Dypls run is working on this folder, that run is hung: stop it, then run the same command again.", category: FailureCategory.ResourceBusy);
                }
                if (!announced)
                {
                    announced = true;
                    trace?.Invoke($"'{Path.GetFileName(finalBase)}' is being saved by another run; waiting for it.");
                }
                random ??= new Random(Guid.NewGuid().GetHashCode());
                await Task.Delay(100 + random.Next(150), cancellationToken).ConfigureAwait(false);
            }
        }

        private struct OwnerSign
        {
            public long LockTicks, PartialTicks, PartialLength;

            public static OwnerSign Read(string lockPath, string partial)
            {
                var s = new OwnerSign();
                try
                {
                    var l = new FileInfo(lockPath);
                    if (l.Exists) s.LockTicks = l.LastWriteTimeUtc.Ticks;
                    var p = new FileInfo(partial);
                    if (p.Exists)
                    {
                        s.PartialTicks = p.LastWriteTimeUtc.Ticks;
                        s.PartialLength = p.Length;
                    }
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
                return s;
            }

            public readonly bool Same(OwnerSign other) => LockTicks == other.LockTicks && PartialTicks == other.PartialTicks && PartialLength == other.PartialLength;
        }
    }
}
