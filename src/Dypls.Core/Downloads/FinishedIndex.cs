using System;
using System.Collections.Generic;
using System.IO;

namespace Dypls.Downloads
{
    /// <summary>
    /// The finished recordings each destination folder held when the planner first looked at it: one listing per folder
    /// instead of a look for every known extension on every row (ten File.Exists calls for each new recording, each a
    /// round trip on a network share, all on the pipeline thread). A name the listing shows is still checked on disk. A
    /// recording finished after the listing, by an overlapping run, is not seen here: that row gets its URL and the save
    /// engine, which looks again under the recording's lock, reports it as skipped. Names this run starts are looked up
    /// on disk from then on. Memory stays bounded: past a limit of names (<see cref="DefaultMaxNames"/>) a folder is looked up on disk only.
    /// Used from one thread (the planner's).
    /// </summary>
    internal sealed class FinishedIndex
    {
        /// <summary>About 25 MB of names at most; a folder with more is looked up on disk, row by row.</summary>
        public const int DefaultMaxNames = 250_000;

        /// <summary>Folders remembered at most (each with its names, or as looked up on disk).</summary>
        public const int MaxFolders = 10_000;

        // A name this run has started: its file may appear at any time, so it is looked up on disk. '/' is in no file name.
        private const string StartedMark = "/";

        private readonly StringComparer _comparer;
        private readonly StringComparison _extensionComparison;
        private readonly int _maxNames;
        private readonly Dictionary<string, HashSet<string>?> _folders;
        private int _names;

        public FinishedIndex(StringComparer comparer, int maxNames = DefaultMaxNames)
        {
            _comparer = comparer;
            _extensionComparison = comparer == StringComparer.Ordinal ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
            _maxNames = maxNames;
            _folders = new Dictionary<string, HashSet<string>?>(comparer);
        }

        /// <summary>The finished file for <paramref name="finalBase"/> (<paramref name="preferredExtension"/> first), or null.</summary>
        public string? Find(string finalBase, string? preferredExtension)
        {
            var names = NamesIn(Path.GetDirectoryName(finalBase) ?? ".");
            var name = Path.GetFileName(finalBase);
            if (names is null || names.Contains(name + StartedMark)) return RecordingStore.FindFinished(finalBase, preferredExtension);
            // Listed when it shows on disk, and the file is still there (it may have been deleted or replaced since).
            return RecordingStore.FindFinished(finalBase, preferredExtension, path => names.Contains(Path.GetFileName(path)) && File.Exists(path));
        }

        /// <summary>This run saves <paramref name="finalBase"/>: from now on it is looked up on disk.</summary>
        public void Started(string finalBase)
        {
            var folder = Path.GetDirectoryName(finalBase) ?? ".";
            if (!_folders.TryGetValue(folder, out var names) || names is null) return;
            if (names.Add(Path.GetFileName(finalBase) + StartedMark) && ++_names > _maxNames) Drop(folder, names);
        }

        private HashSet<string>? NamesIn(string folder)
        {
            if (_folders.TryGetValue(folder, out var known)) return known;
            // A template that makes a folder per recording would grow this without end: past the limit, look on disk.
            if (_folders.Count >= MaxFolders) return null;
            var names = _names < _maxNames ? List(folder) : null;
            _folders[folder] = names;
            return names;
        }

        private HashSet<string>? List(string folder)
        {
            var names = new HashSet<string>(_comparer);
            try
            {
                foreach (var path in Directory.EnumerateFiles(folder))
                {
                    var name = Path.GetFileName(path);
                    if (!IsRecordingName(name)) continue;
                    names.Add(name);
                    if (++_names > _maxNames)
                    {
                        _names -= names.Count;
                        return null;
                    }
                }
            }
            catch (DirectoryNotFoundException)
            {
                // Not there yet: nothing is saved in it (the save engine looks again before it writes).
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                // Not listable: look on disk, row by row, which reports any real problem where it belongs.
                _names -= names.Count;
                return null;
            }
            return names;
        }

        private bool IsRecordingName(string name)
        {
            foreach (var ext in RecordingStore.KnownExtensions)
            {
                if (name.Length > ext.Length && name.EndsWith(ext, _extensionComparison))
                    return true;
            }
            return false;
        }

        private void Drop(string folder, HashSet<string> names)
        {
            _names -= names.Count;
            _folders[folder] = null;
        }
    }
}
