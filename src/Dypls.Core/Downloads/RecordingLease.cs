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
    /// Ownership of one recording (see <see cref="RecordingStore"/>): inspect, write, verify, commit or abandon.
    /// Disposing releases the lock; an uncommitted partial file stays for the next run to resume. Not thread-safe:
    /// one row's task uses it, one step after the other.
    /// </summary>
    internal sealed class RecordingLease : IDisposable
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
        // Otherwise a new recording would send unlink calls that find nothing, each under the folder's lock.
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
            if (_partialMayExist && PartialIsEmpty())
            {
                // Nothing in it resumes nothing (a full disk leaves such files): removed with its record, while the lock
                // is still ours, as an empty record is.
                Abandon();
            }
            else if (_heldValidator != null)
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

        private bool PartialIsEmpty()
        {
            try
            {
                var partial = new FileInfo(PartialPath);
                if (!partial.Exists) _partialMayExist = false;
                return partial.Exists && partial.Length == 0;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                return false;
            }
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
