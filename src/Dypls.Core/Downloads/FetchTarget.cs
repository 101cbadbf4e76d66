using System;
using Dypls.Api;

namespace Dypls.Downloads
{
    /// <summary>A download URL that has passed <see cref="DownloadUrlPolicy.FetchUri"/>: checked once, when it is had.</summary>
    internal sealed class FetchTarget
    {
        private FetchTarget(RecordFileUrl url, Uri target)
        {
            Url = url;
            Target = target;
        }

        public RecordFileUrl Url { get; }

        /// <summary>What is fetched: the URL as checked.</summary>
        public Uri Target { get; }

        /// <param name="givenOnInput">True for a URL from the row's input (held to a stricter host rule than the API's own answer).</param>
        /// <exception cref="DyplsException">The URL may not be fetched.</exception>
        public static FetchTarget Check(RecordFileUrl url, bool givenOnInput) => new FetchTarget(url, DownloadUrlPolicy.FetchUri(url.DownloadUrl, givenOnInput));
    }
}
