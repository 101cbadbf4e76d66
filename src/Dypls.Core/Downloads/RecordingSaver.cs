using System;
using System.Collections.Concurrent;
using System.IO;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Runs;

namespace Dypls.Downloads
{
    /// <summary>
    /// Saves one recording: takes ownership of it (<see cref="RecordingStore"/>), looks again for a finished file, gets a URL
    /// when needed, fetches (<see cref="RecordingTransfer"/>), verifies length and MD5, and renames into place. Transient
    /// failures are retried, resuming what was saved. Thread-safe: one instance serves every row of a run.
    /// </summary>
    internal sealed class RecordingSaver
    {
        private static readonly Regex PlainMd5 = new Regex("^[0-9A-Fa-f]{32}$", RegexOptions.CultureInvariant);

        private readonly SaveOptions _options;
        private readonly RecordingTransfer _transfer;
        private readonly RetryBackoff _backoff;
        private readonly ConcurrentDictionary<string, byte> _createdFolders = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, GroupSync?>? _groupSyncs;
        private readonly Lane _downloads;

        /// <param name="downloads">
        /// The run's download lane (-ThrottleLimit): a slot is held from the GET to the body's last byte, not while the file
        /// is made durable and renamed, which needs only the disk. Null: no limit, and no run to stop.
        /// </param>
        public RecordingSaver(HttpClient http, SaveOptions options, Lane? downloads = null)
        {
            _options = options;
            _downloads = downloads ?? Lane.Unbounded;
            _transfer = new RecordingTransfer(http, options.IdleTimeout, options.BufferSize);
            // At least half of each step: a cut transfer usually comes back soon, but not all at once.
            _backoff = new RetryBackoff(options.BaseRetryDelay, options.MaxRetryDelay, jitterFloor: 0.5);
            if (options.SyncInGroups && GroupSync.Available) _groupSyncs = new ConcurrentDictionary<string, GroupSync?>(StringComparer.Ordinal);
        }

        /// <summary>Called when a transfer stalled, was cut off or could not connect (for adaptive concurrency). Any thread.</summary>
        public Action? Congestion { get; set; }

        /// <summary>Safe, redacted lines for -Verbose; called from worker threads.</summary>
        public Action<string>? Trace { get; set; }

        /// <summary>Called with a partial file of <see cref="PageCache.DropFrom"/> bytes or more once it is durable, before its rename (tests count it).</summary>
        internal Action<string> DropFromCache { get; set; } = PageCache.Drop;

        public async Task<SaveResult> SaveAsync(SaveJob job, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            var who = $"CallId '{MessageText.Shorten(job.CallId)}'";
            EnsureFolder(Path.GetDirectoryName(job.FinalBase)!, who);

            using var lease = await AcquireAsync(job, who, cancellationToken).ConfigureAwait(false);

            // Under ownership, look again: another run may have finished it while this row waited. With the URL in hand the
            // extension is known, and another run names the same recording the same way (from the same object's URL), so
            // one look does; the planner has already looked for every extension before the API call.
            var preferred = job.KnownUrl is null ? null : DownloadUrlPolicy.KnownExtensionFromUrl(job.KnownUrl.Url.DownloadUrl);
            var existing = ForceCutoff.Saved(preferred is null ? lease.FindFinished() : lease.FindFinishedAs(preferred), job.ReplaceFilesOlderThanUtc);
            if (existing != null)
            {
                Trace?.Invoke($"{who}: '{existing}' is already saved; skipped.");
                return new SaveResult(existing, new FileInfo(existing).Length, DownloadStatus.Skipped, 0, null, null);
            }

            var url = job.KnownUrl;
            var refreshes = 0;
            return await RetryLoop.RunAsync(async attempt =>
            {
                // A URL can expire while the row waits in the queue or between retries: refresh it first.
                if (url is null || DownloadUrlPolicy.NeedsRefresh(url.Url, _options.Clock(), _options.UrlSafetyMargin))
                {
                    if (url != null) Trace?.Invoke($"{who}: the download URL expires at {url.Url.ExpiresAt:u}; getting a fresh one.");
                    url = await job.FreshUrl(cancellationToken).ConfigureAwait(false);
                }
                var (path, length, resumed, md5, held) = await FetchOnceAsync(lease, url, onBytes, cancellationToken).ConfigureAwait(false);
                Trace?.Invoke($"{who}: saved {length} bytes to '{path}'{(md5 is null ? "" : " (MD5 checked)")}.");
                return new SaveResult(path, length, resumed ? DownloadStatus.Resumed : DownloadStatus.Downloaded, attempt, url, md5, held);
            }, (failure, attempt) =>
            {
                if (!(failure is TransferFailedException f)) return RetryStep.Stop();
                if (f.AccessDenied && (f.Expired || url!.Url.ExpiresAt <= _options.Clock()))
                {
                    // Not the transfer's fault: a fresh URL, without using up an attempt.
                    if (++refreshes > _options.MaxUrlRefreshes)
                        return RetryStep.Stop(new DyplsException("DownloadUrlExpired", $"{who}: the download URL kept expiring ({refreshes} fresh URLs were tried). Check that the local clock is right."));
                    Trace?.Invoke($"{who}: the download URL has expired; getting a fresh one.");
                    url = null;
                    return RetryStep.Uncounted(TimeSpan.Zero);
                }
                if (!f.Transient)
                {
                    var where = f.AccessDenied ? $" URL {Redaction.RedactUrl(url!.Url.DownloadUrl)}:" : string.Empty;
                    return RetryStep.Stop(new DyplsException(f.ErrorId, $"{who}:{where} {f.Message}", f.InnerException));
                }
                if (f.Restart) lease.Abandon();
                else Congestion?.Invoke();
                if (attempt >= _options.MaxAttempts)
                    return RetryStep.Stop(new DyplsException(f.ErrorId, $"{who}: {f.Message} Gave up after {attempt} attempts; run the same command again to resume from what was saved.", f.InnerException));
                var delay = _backoff.Delay(attempt);
                Trace?.Invoke($"{who}: attempt {attempt} failed ({f.Message}); retrying in {delay.TotalMilliseconds:0} ms.");
                return RetryStep.After(delay);
            }, cancellationToken).ConfigureAwait(false);
        }

        private async Task<RecordingLease> AcquireAsync(SaveJob job, string who, CancellationToken cancellationToken)
        {
            try
            {
                return await RecordingStore.AcquireAsync(job.FinalBase, _options.EffectiveBusyWaitLimit, line => Trace?.Invoke($"{who}: {line}"), cancellationToken, _options.EagerResumeRecordBytes).ConfigureAwait(false);
            }
            catch (DyplsException ex) when (!ex.StopsRun)
            {
                throw ex.About(who);
            }
        }

        private Task<(string Path, long Length, bool Resumed, string? Md5, TimeSpan Held)> FetchOnceAsync(
            RecordingLease lease, FetchTarget url, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            var group = GroupSyncFor(lease.PartialPath);
            var saved = lease.Inspect();
            // The slot is held from the GET to the body's last byte; the lane gives it back (and stops the run first, when
            // this fails in a way every row would) whichever way the attempt ends.
            return _downloads.RunAsync(async slot =>
            {
                var (path, length, resumed, md5) = await FetchInSlotAsync(lease, url, group, saved, slot, onBytes, cancellationToken).ConfigureAwait(false);
                return (path, length, resumed, md5, slot.Held);
            }, cancellationToken);
        }

        private async Task<(string Path, long Length, bool Resumed, string? Md5)> FetchInSlotAsync(
            RecordingLease lease, FetchTarget url, GroupSync? group, PartialState saved, LaneSlot slot, Action<long>? onBytes, CancellationToken cancellationToken)
        {
            using var response = await _transfer.OpenAsync(url.Target, saved.CanResume ? saved.Length : 0, saved.Validator, cancellationToken).ConfigureAwait(false);
            string? validator;
            long total;
            long length;
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            switch (response.Kind)
            {
                case TransferKind.NothingLeft:
                    if (saved.Total != saved.Length)
                        throw new TransferFailedException("DownloadRangeMismatch", "the saved part no longer matches the recording; starting over.", transient: true, restart: true);
                    // The last run stopped between the last byte and the rename: the partial file is already whole. It may
                    // have stopped before its sync, too: durable before the rename, as on every other path.
                    slot.Release();
                    HashFile(lease.PartialPath, md5);
                    FlushToDisk(lease.PartialPath);
                    return Finish(lease, url, response.MediaType, saved.Validator, saved.Length, resumed: true, md5, cancellationToken);
                case TransferKind.Rest:
                    validator = saved.Validator;
                    total = response.Total;
                    HashFile(lease.PartialPath, md5); // the saved prefix, before the partial is opened for writing
                    length = await CopyAsync(response, lease.OpenForAppend(), md5, onBytes, flushToDisk: group is null, slot, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    validator = response.ETag;
                    total = response.Total;
                    length = await CopyAsync(response, lease.Restart(validator, total), md5, onBytes, flushToDisk: group is null, slot, cancellationToken).ConfigureAwait(false);
                    break;
            }

            if (total >= 0 && length != total)
                throw new TransferFailedException("DownloadIncomplete", $"the transfer ended at {length} of {total} bytes.", transient: true);
            if (group != null) await SyncInGroupAsync(group, lease.PartialPath).ConfigureAwait(false);
            return Finish(lease, url, response.MediaType, validator, length, response.Kind == TransferKind.Rest, md5, cancellationToken);
        }

        /// <summary>
        /// Copies the body into the partial file (which it closes); with <paramref name="flushToDisk"/>, makes it durable.
        /// Returns the partial file's length: the stream's end, as the lease keeps every other writer out (no stat needed).
        /// </summary>
        private static async Task<long> CopyAsync(TransferResponse response, FileStream stream, IncrementalHash md5, Action<long>? onBytes, bool flushToDisk, LaneSlot slot, CancellationToken cancellationToken)
        {
            try
            {
                await response.CopyToAsync(stream, md5, onBytes, cancellationToken).ConfigureAwait(false);
                // The body is in: the next download may start while this file is flushed (and later synced and renamed).
                slot.Release();
                // Durable before the rename: a power cut never leaves a final name over missing bytes. Without flushToDisk
                // the caller makes it durable with its folder's group sync before the rename.
                stream.Flush(flushToDisk);
                return stream.Position;
            }
            catch (IOException ex)
            {
                throw StorageErrors.ForWrite(ex, "write", stream.Name);
            }
            finally
            {
                // After a failed write (a full disk) closing tries to write the buffer again and throws: that must not
                // replace the first error. On success everything was flushed above, so closing has nothing to lose.
                try { stream.Dispose(); } catch (IOException) { }
            }
        }

        /// <summary>
        /// Checks the MD5 against a plain-MD5 ETag and moves the partial file, already durable, to its final name; a large
        /// one's pages go back to the system first (see <see cref="PageCache"/>).
        /// </summary>
        private (string, long, bool, string?) Finish(RecordingLease lease, FetchTarget url, string? mediaType, string? etag, long length, bool resumed, IncrementalHash md5, CancellationToken cancellationToken)
        {
            string? checkedMd5 = null;
            var expected = etag?.Trim('"');
            if (expected != null && PlainMd5.IsMatch(expected))
            {
                checkedMd5 = Hex(md5.GetHashAndReset());
                if (!string.Equals(checkedMd5, expected, StringComparison.OrdinalIgnoreCase))
                    throw new TransferFailedException("ChecksumMismatch", $"the saved bytes do not match the server's MD5 ({expected}); starting over.", transient: true, restart: true);
            }
            if (length >= PageCache.DropFrom) DropFromCache(lease.PartialPath);
            var final = lease.Commit(DownloadUrlPolicy.ExtensionFor(url.Url.DownloadUrl, mediaType), cancellationToken);
            return (final, length, resumed, checkedMd5);
        }

        /// <summary>The group sync of the partial file's folder; null where each file is flushed on its own (see <see cref="GroupSync.Slow"/>).</summary>
        private GroupSync? GroupSyncFor(string partialPath)
        {
            var group = _groupSyncs?.GetOrAdd(Path.GetDirectoryName(partialPath) ?? ".", folder => GroupSync.Supports(folder) ? new GroupSync() : null);
            return group is null || group.Slow ? null : group;
        }

        /// <summary>Waits for a sync of the partial file's folder that began after its last byte was written (see <see cref="GroupSync"/>).</summary>
        private static async Task SyncInGroupAsync(GroupSync group, string partialPath)
        {
            try
            {
                await group.SyncAsync(partialPath).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw StorageErrors.ForWrite(ex, "write", partialPath);
            }
        }

        private void EnsureFolder(string folder, string who)
        {
            // Thousands of rows share a few folders: create each once per run, not once per row.
            if (_createdFolders.ContainsKey(folder)) return;
            try
            {
                Directory.CreateDirectory(folder);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                var error = StorageErrors.ForWrite(ex, "create the folder", folder);
                throw error.StopsRun ? error : error.About(who);
            }
            _createdFolders.TryAdd(folder, 0);
        }

        private static void FlushToDisk(string path)
        {
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1);
                fs.Flush(flushToDisk: true);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw StorageErrors.ForWrite(ex, "write", path);
            }
        }

        private static void HashFile(string path, IncrementalHash hash)
        {
            try
            {
                using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
                var buffer = new byte[1 << 16];
                int n;
                while ((n = fs.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, n);
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException)
            {
                throw new TransferFailedException("DownloadRangeMismatch", "the saved part could not be read; starting over.", transient: true, restart: true, inner: ex);
            }
        }

        private static string Hex(byte[] bytes) => BitConverter.ToString(bytes).Replace("-", "").ToLowerInvariant();
    }
}
