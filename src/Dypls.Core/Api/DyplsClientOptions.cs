using System;

namespace Dypls.Api
{
    /// <summary>How the API client talks to Dyplsapi. Defaults follow the official SDKs (connect 5 s, read 10 s).</summary>
    internal sealed class DyplsClientOptions
    {
        public static readonly Uri DefaultEndpoint = new Uri("https://dyplsapi.aliyuncs.com/");

        public Uri Endpoint { get; set; } = DefaultEndpoint;

        /// <summary>The product called, as messages name it.</summary>
        public string ProductName { get; set; } = "Dyplsapi";

        /// <summary>The RAM action a denied call needs (named in the error's advice).</summary>
        public string RamAction { get; set; } = "dypls:QueryRecordFileDownloadUrl";

        /// <summary>Time allowed to open a TCP/TLS connection (where the runtime supports setting it).</summary>
        public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>Time allowed for one attempt, from sending to the last byte of the response.</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Attempts per call, the first included. Transient failures are retried up to this bound.</summary>
        public int MaxAttempts { get; set; } = 4;

        /// <summary>First backoff step; doubles per attempt, with full jitter.</summary>
        public TimeSpan BaseRetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Local clock; tests replace it.</summary>
        public Func<DateTimeOffset> Clock { get; set; } = () => DateTimeOffset.UtcNow;
    }
}
