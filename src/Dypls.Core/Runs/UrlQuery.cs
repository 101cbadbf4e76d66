using System;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;

namespace Dypls.Runs
{
    /// <summary>
    /// The one place a run calls QueryRecordFileDownloadUrl: in the run's API lane, with the verbose lines both cmdlets
    /// write about it.
    /// </summary>
    internal sealed class UrlQuery
    {
        private readonly DyplsApiClient _client;
        private readonly Lane _lane;
        private readonly Action<string>? _trace;

        public UrlQuery(DyplsApiClient client, Lane lane, Action<string>? trace)
        {
            _client = client;
            _lane = lane;
            _trace = trace;
        }

        public Task<RecordFileUrl> QueryAsync(CallRequest call, CancellationToken cancellationToken) => _lane.RunAsync(async _ =>
        {
            _trace?.Invoke($"CallId '{call.CallIdForDisplay}': querying the download URL.");
            var url = await _client.QueryRecordFileDownloadUrlAsync(call.CallId, call.CallTimeText, call.PoolKey, call.ProductType, cancellationToken).ConfigureAwait(false);
            _trace?.Invoke($"CallId '{call.CallIdForDisplay}': {Redaction.RedactUrl(url.DownloadUrl)} (expires {url.ExpiresAt:u}, RequestId {url.RequestId}).");
            return url;
        }, cancellationToken);
    }
}
