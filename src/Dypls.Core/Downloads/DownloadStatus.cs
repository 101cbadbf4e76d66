namespace Dypls.Downloads
{
    /// <summary>How a recording came to be at its final name.</summary>
    public enum DownloadStatus
    {
        /// <summary>Fetched from the first byte.</summary>
        Downloaded,

        /// <summary>Continued from a partial file left by an earlier attempt or run.</summary>
        Resumed,

        /// <summary>A complete file was already there (or another row or run fetched it); nothing was fetched.</summary>
        Skipped,

        /// <summary>The input says the call has no recording (a SecretReport receipt without record_url); nothing to save.</summary>
        NoRecording,
    }
}
