using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Dypls.Api;

namespace Dypls.Downloads
{
    /// <summary>
    /// Turns input rows into <see cref="SavePlan"/>s: the file name, whether it is already saved, whether an earlier row of
    /// this run saves the same file, whether the row's own URL can be used. Memory stays flat: only rows still being saved
    /// are remembered. With -Force a file counts as done when it was written since the run started (by this run or one that
    /// overlaps it), so no set of handled names has to grow with the input. Used from one thread (the pipeline's).
    /// </summary>
    internal sealed class SavePlanner
    {
        private static readonly StringComparer PathComparer =
            RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;

        // Rows being saved, by final name; finished ones are swept once this many are remembered.
        private const int SweepAt = 1024;

        private readonly string _destination;
        private readonly string _root;
        private readonly FileNameTemplate _template;
        private readonly Func<DateTimeOffset> _clock;
        private readonly Dictionary<string, Task> _inFlight = new Dictionary<string, Task>(PathComparer);
        private readonly FinishedIndex _finished;

        public SavePlanner(string destination, FileNameTemplate template, bool force, DateTimeOffset runStarted, Func<DateTimeOffset>? clock = null, int maxIndexedNames = FinishedIndex.DefaultMaxNames)
        {
            _finished = new FinishedIndex(PathComparer, maxIndexedNames);
            _destination = Path.GetFullPath(destination);
            _root = _destination.EndsWith(Path.DirectorySeparatorChar.ToString(), StringComparison.Ordinal) ? _destination : _destination + Path.DirectorySeparatorChar;
            _template = template;
            Force = force;
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
            // See ForceCutoff. Exact on file systems with fine write times (NTFS, ext4, APFS, tmpfs). Where they are coarse (FAT, HFS+, some
            // network shares) a file this run wrote may look older and be fetched a second time: harmless.
            ReplaceFilesOlderThanUtc = force ? runStarted.UtcDateTime : (DateTime?)null;
        }

        public bool Force { get; }

        /// <summary>With -Force, files last written before this are replaced; null without -Force.</summary>
        public DateTime? ReplaceFilesOlderThanUtc { get; }

        /// <summary>Rows remembered as in flight (for tests: stays bounded).</summary>
        public int Remembered => _inFlight.Count;

        /// <param name="url">The row's own download URL (a Url column, Get-DyplsRecordUrl output), or null.</param>
        /// <param name="expiresAt">When <paramref name="url"/> expires, in any form the row gives it; null when unknown.</param>
        public SavePlan Plan(Runs.CallRequest call, string? url, object? expiresAt)
        {
            var callId = call.CallId;
            string finalBase;
            try
            {
                finalBase = Path.GetFullPath(Path.Combine(_destination, _template.Render(callId, call.CallTime, call.PoolName)));
            }
            catch (Exception ex) when (ex is ArgumentException || ex is PathTooLongException || ex is NotSupportedException)
            {
                return SavePlan.Invalid(new DyplsException("InvalidFileName", $"CallId '{MessageText.Shorten(callId)}' gives no usable file name: {ex.Message}" +
                    StorageErrors.PathTooLongAdvice(ex, Path.Combine(_destination, _template.Render(callId, call.CallTime, call.PoolName))), ex, category: FailureCategory.InvalidArgument));
            }
            // Belt and braces: the sanitizer already keeps every segment inside the destination.
            if (!finalBase.StartsWith(_root, StringComparison.Ordinal))
                return SavePlan.Invalid(new DyplsException("InvalidFileName", $"CallId '{MessageText.Shorten(callId)}' would be saved outside '{_destination}'.", category: FailureCategory.InvalidArgument));

            if (_inFlight.TryGetValue(finalBase, out var original))
            {
                if (!original.IsCompleted || original.Status == TaskStatus.RanToCompletion) return SavePlan.Duplicate(finalBase, original);
                _inFlight.Remove(finalBase); // the earlier row failed: this one tries for itself
            }

            FetchTarget? known = null;
            if (!string.IsNullOrWhiteSpace(url))
            {
                try
                {
                    known = FetchTarget.Check(DownloadUrlPolicy.FromInput(url!, expiresAt, _clock()), givenOnInput: true);
                }
                catch (DyplsException ex)
                {
                    return SavePlan.Invalid(ex.About($"CallId '{MessageText.Shorten(callId)}'"));
                }
            }

            var existing = ForceCutoff.Saved(_finished.Find(finalBase, known is null ? null : DownloadUrlPolicy.KnownExtensionFromUrl(known.Url.DownloadUrl)), ReplaceFilesOlderThanUtc);
            if (existing != null) return SavePlan.Skip(finalBase, existing);
            return SavePlan.Download(finalBase, known);
        }

        /// <summary>Remembers that <paramref name="finalBase"/> is being saved by <paramref name="work"/>, for later duplicates.</summary>
        public void Started(string finalBase, Task work)
        {
            if (_inFlight.Count >= SweepAt) Sweep();
            _inFlight[finalBase] = work;
            _finished.Started(finalBase);
        }

        private void Sweep()
        {
            var done = new List<string>();
            foreach (var kv in _inFlight) if (kv.Value.IsCompleted) done.Add(kv.Key);
            foreach (var k in done) _inFlight.Remove(k);
        }
    }
}
