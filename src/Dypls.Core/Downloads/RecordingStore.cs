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
    public static class RecordingStore
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
                        $"(its lock file is '{lockPath}'). If no other Dypls run is working on this folder, that run is hung: stop it, then run the same command again.");
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

    /// <summary>What a partial file holds: bytes saved so far, the validator (ETag) they belong to, and the full length.</summary>
    public readonly struct PartialState
    {
        public PartialState(long length, string? validator, long total)
        {
            Length = length;
            Validator = validator;
            Total = total;
        }

        public long Length { get; }
        public string? Validator { get; }

        /// <summary>The object's full length as the server said when the partial was started; -1 when unknown.</summary>
        public long Total { get; }

        /// <summary>Only bytes that can be proven to be the same object are resumed.</summary>
        public bool CanResume => Length > 0 && Validator != null;

        public static readonly PartialState Empty = new PartialState(0, null, -1);
    }

    /// <summary>
    /// Ownership of one recording (see <see cref="RecordingStore"/>): inspect, write, verify, commit or abandon.
    /// Disposing releases the lock; an uncommitted partial file stays for the next run to resume. Not thread-safe:
    /// one row's task uses it, one step after the other.
    /// </summary>
    public sealed class RecordingLease : IDisposable
    {
        private static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
        private static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(2);

        private readonly RecordingLock _lock;
        private readonly Timer _heartbeat;
        private readonly long _eagerResumeRecordBytes;

        // The resume record of a small partial file, kept in memory until the partial is committed or left behind.
        private string? _heldValidator;
        private long _heldTotal;

        // False once this lease knows the file is not there (looked, deleted, or renamed away): no delete is sent for it.
        // A new recording otherwise cost three unlink calls that found nothing (strace), each under the folder's lock.
        private bool _partialMayExist = true;
        private bool _metaMayExist = true;

        internal RecordingLease(string finalBase, RecordingLock held, long eagerResumeRecordBytes = 0)
        {
            _eagerResumeRecordBytes = eagerResumeRecordBytes;
            FinalBase = finalBase;
            PartialPath = RecordingStore.PartialPathFor(finalBase);
            MetaPath = RecordingStore.MetaPathFor(finalBase);
            _lock = held;
            _heartbeat = new Timer(_ => _lock.Heartbeat(), null, HeartbeatInterval, HeartbeatInterval);
        }

        public string FinalBase { get; }
        public string PartialPath { get; }
        public string MetaPath { get; }

        public string? FindFinished(string? preferredExtension = null) => RecordingStore.FindFinished(FinalBase, preferredExtension);

        /// <summary>The finished file with exactly this extension, if any: one look instead of one per known extension.</summary>
        public string? FindFinishedAs(string extension) => File.Exists(FinalBase + extension) ? FinalBase + extension : null;

        /// <summary>The partial file's state; anything unreadable or unproven counts as nothing saved.</summary>
        public PartialState Inspect()
        {
            try
            {
                var partial = new FileInfo(PartialPath);
                if (!partial.Exists) _partialMayExist = false;
                if (_heldValidator != null)
                {
                    return partial.Exists && partial.Length > 0 && partial.Length <= _heldTotal
                        ? new PartialState(partial.Length, _heldValidator, _heldTotal) : PartialState.Empty;
                }
                if (!partial.Exists || partial.Length == 0 || !File.Exists(MetaPath)) return PartialState.Empty;
                var lines = File.ReadAllLines(MetaPath);
                var validator = lines.Length > 0 && lines[0].Length > 0 ? lines[0] : null;
                var total = lines.Length > 1 && long.TryParse(lines[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var t) ? t : -1;
                if (validator is null || (total >= 0 && partial.Length > total)) return PartialState.Empty;
                return new PartialState(partial.Length, validator, total);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return PartialState.Empty;
            }
        }

        /// <summary>Starts the partial file over for a whole new body: records its validator and length first, then opens it empty.</summary>
        public FileStream Restart(string? validator, long total)
        {
            Abandon();
            if (validator != null)
            {
                if (total >= 0 && total < _eagerResumeRecordBytes)
                {
                    _heldValidator = validator;
                    _heldTotal = total;
                }
                else
                {
                    WriteResumeRecord(validator, total);
                }
            }
            // A new file when the old one is known gone: no truncation. On ext4 truncating a file to 0 and writing it again
            // makes close() start its writeback at once (auto_da_alloc, the guard for programs that never fsync), in the
            // row's thread and one file at a time; a new file is written with the rest at the group's sync.
            try
            {
                return Open(_partialMayExist ? FileMode.Create : FileMode.CreateNew);
            }
            catch (DyplsException)
            {
                // No record may vouch for a partial file this lease could not start.
                _heldValidator = null;
                if (_metaMayExist) _metaMayExist = !TryDelete(MetaPath);
                throw;
            }
        }

        private void WriteResumeRecord(string validator, long total)
        {
            try
            {
                _metaMayExist = true;
                File.WriteAllLines(MetaPath, new[] { validator, total.ToString(CultureInfo.InvariantCulture) });
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                // Never leave an empty or half-written meta file (a full disk does exactly that).
                TryDelete(MetaPath);
                throw StorageErrors.ForWrite(ex, "write", MetaPath);
            }
        }

        /// <summary>Opens the partial file to append the rest of the body.</summary>
        public FileStream OpenForAppend() => Open(FileMode.Append);

        private FileStream Open(FileMode mode)
        {
            try
            {
                // Synchronous: the transfer writes each chunk with a plain write (see TransferResponse.CopyToAsync).
                _partialMayExist = true;
                return new FileStream(PartialPath, mode, FileAccess.Write, FileShare.Read, 4096, useAsync: false);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw StorageErrors.ForWrite(ex, "write", PartialPath);
            }
        }

        /// <summary>Forgets what was saved (wrong object, bad checksum).</summary>
        public void Abandon()
        {
            _heldValidator = null;
            if (_partialMayExist) _partialMayExist = !TryDelete(PartialPath);
            if (_metaMayExist) _metaMayExist = !TryDelete(MetaPath);
        }

        /// <summary>
        /// Moves the verified partial file to its final name (replacing an older file there) and removes the meta file.
        /// The token is checked first: once the cmdlet has stopped, nothing may appear in the destination.
        /// </summary>
        public string Commit(string extension, CancellationToken cancellationToken)
        {
            var final = FinalBase + extension;
            for (var attempt = 1; ; attempt++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    AtomicRename.Move(PartialPath, final);
                    _partialMayExist = false;
                    _heldValidator = null;
                    if (_metaMayExist) _metaMayExist = !TryDelete(MetaPath);
                    return final;
                }
                catch (Exception ex) when ((ex is IOException || ex is UnauthorizedAccessException) && IsWindows && attempt < 8 && File.Exists(PartialPath))
                {
                    // Antivirus, indexers and media players open new files for a moment on Windows: wait a little, then retry.
                    Thread.Sleep(50 * attempt);
                }
                catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
                {
                    throw StorageErrors.ForWrite(ex, "move the finished download to", final);
                }
            }
        }

        /// <summary>Releases ownership; an uncommitted partial file stays for resuming, with its resume record.</summary>
        public void Dispose()
        {
            if (_heldValidator != null)
            {
                // Left behind (a failure, a stop): written while the lock is still ours, so no other run sees the partial
                // without its record. Best effort: without the record the next run starts that small file over.
                try
                {
                    if (Inspect().Length > 0) WriteResumeRecord(_heldValidator, _heldTotal);
                }
                catch (DyplsException) { }
                _heldValidator = null;
            }
            _heartbeat.Dispose();
            _lock.Dispose();
        }

        /// <summary>Deletes the file if it is there; true when it is gone (or never was).</summary>
        private static bool TryDelete(string path)
        {
            try
            {
                File.Delete(path);
                return true;
            }
            catch (IOException) { return false; }
            catch (UnauthorizedAccessException) { return false; }
        }
    }
}
