using System;
using System.IO;

namespace Dypls.Downloads
{
    /// <summary>
    /// -Force: a finished file last written before the run started is replaced. One written since (by this run or one
    /// that overlaps it) counts as saved, so duplicates and overlapping -Force runs download once, and no set of handled
    /// names has to grow with the input.
    /// </summary>
    internal static class ForceCutoff
    {
        /// <summary><paramref name="found"/> when it counts as saved, else null (nothing found, or older than the cutoff).</summary>
        public static string? Saved(string? found, DateTime? replaceFilesOlderThanUtc) =>
            found != null && !(replaceFilesOlderThanUtc is DateTime cutoff && File.GetLastWriteTimeUtc(found) < cutoff) ? found : null;
    }
}
