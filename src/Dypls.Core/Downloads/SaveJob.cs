using System;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Downloads
{
    /// <summary>One recording to save, as the planner decided it. Made once; nothing changes it afterwards.</summary>
    internal sealed class SaveJob
    {
        /// <param name="freshUrl">Asks the API for a new download URL and checks it (the run's one API lane, which counts the calls).</param>
        /// <param name="knownUrl">A URL in hand, already checked: from the row's input, or fetched ahead by the run.</param>
        /// <param name="replaceFilesOlderThanUtc">-Force: see <see cref="ForceCutoff"/>.</param>
        public SaveJob(string callId, string finalBase, Func<CancellationToken, Task<FetchTarget>> freshUrl,
            FetchTarget? knownUrl = null, DateTime? replaceFilesOlderThanUtc = null)
        {
            CallId = callId;
            FinalBase = finalBase;
            FreshUrl = freshUrl;
            KnownUrl = knownUrl;
            ReplaceFilesOlderThanUtc = replaceFilesOlderThanUtc;
        }

        public string CallId { get; }

        /// <summary>Full path of the final file, without its extension (that comes from the response).</summary>
        public string FinalBase { get; }

        public Func<CancellationToken, Task<FetchTarget>> FreshUrl { get; }

        /// <summary>Used while it has a safe margin left; null when the saver must ask for one.</summary>
        public FetchTarget? KnownUrl { get; }

        public DateTime? ReplaceFilesOlderThanUtc { get; }
    }
}
