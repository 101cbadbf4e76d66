using System;

namespace Dypls.Models
{
    /// <summary>Output of Get-DyplsRecordUrl: one per input row. Url is a bearer credential until ExpiresAt.</summary>
    public sealed class RecordingUrl
    {
        public string CallId { get; set; } = string.Empty;

        /// <summary>The call's start as the service knows it: "yyyy-MM-dd HH:mm:ss", Beijing time (UTC+8).</summary>
        public string CallTime { get; set; } = string.Empty;

        public string PoolKey { get; set; } = string.Empty;

        /// <summary>Older accounts' ProductType, when the row gave one.</summary>
        public string? ProductType { get; set; }

        public string Url { get; set; } = string.Empty;

        public DateTimeOffset ExpiresAt { get; set; }

        public string? RequestId { get; set; }

        /// <summary>API attempts this row took (1 unless something was retried).</summary>
        public int Attempts { get; set; }

        /// <summary>Shows the URL without its signature, so a stray ToString() in a log leaks nothing.</summary>
        public override string ToString() => $"{CallId} {Redaction.RedactUrl(Url)}";

        internal static RecordingUrl For(Runs.CallRequest call, Api.RecordFileUrl answer) => new RecordingUrl
        {
            CallId = call.CallId,
            CallTime = call.CallTimeText,
            PoolKey = call.PoolKey,
            ProductType = call.ProductType,
            Url = answer.DownloadUrl,
            ExpiresAt = answer.ExpiresAt,
            RequestId = answer.RequestId,
            Attempts = answer.Attempts,
        };
    }
}
