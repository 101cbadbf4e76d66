using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Credentials;

namespace Dypls.Receipts
{
    /// <summary>
    /// Gets and caches the token of one receipt queue (Dybaseapi QueryTokenForMnsQueue, signed with the caller's own
    /// credentials by the same RPC client as every Dyplsapi call). Thread-safe; one fetch at a time.
    /// </summary>
    internal sealed class MnsTokenSource : IDisposable
    {
        public const string Action = "QueryTokenForMnsQueue";
        public const string ApiVersion = "2017-05-25";


        private readonly DyplsApiClient _client;
        private readonly string _messageType;
        private readonly string? _queueName;
        private readonly Func<DateTimeOffset> _clock;
        private readonly SemaphoreSlim _fetch = new SemaphoreSlim(1, 1);
        private MnsToken? _token;

        public MnsTokenSource(DyplsApiClient client, string messageType, string? queueName, Func<DateTimeOffset>? clock = null)
        {
            _client = client;
            _messageType = messageType;
            _queueName = queueName;
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
        }

        /// <summary>Tokens fetched so far.</summary>
        public int Fetched => Volatile.Read(ref _fetched);

        private int _fetched;

        public Action<string>? Trace { get; set; }

        /// <summary>The cached token, or a new one when it is due for refresh.</summary>
        public async Task<MnsToken> GetAsync(CancellationToken cancellationToken)
        {
            var token = Volatile.Read(ref _token);
            if (token != null && _clock() < token.RefreshAt) return token;
            await _fetch.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                token = _token;
                if (token != null && _clock() < token.RefreshAt) return token;
                token = await FetchAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _token, token);
                return token;
            }
            finally
            {
                _fetch.Release();
            }
        }

        public void Dispose() => _fetch.Dispose();

        /// <summary>Drops <paramref name="used"/> after the queue refused it, so the next <see cref="GetAsync"/> fetches anew.</summary>
        public void Invalidate(MnsToken used) => Interlocked.CompareExchange(ref _token, null, used);

        private Task<MnsToken> FetchAsync(CancellationToken cancellationToken)
        {
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Action"] = Action,
                ["Version"] = ApiVersion,
                ["Format"] = "JSON",
                ["RegionId"] = "cn-hangzhou",
                ["MessageType"] = _messageType,
            };
            if (!string.IsNullOrEmpty(_queueName)) parameters["QueueName"] = _queueName!;
            var fetchedAt = _clock();
            return _client.CallAsync(parameters, (root, requestId, attempt) =>
            {
                var token = Read(root, fetchedAt);
                if (token != null)
                {
                    Interlocked.Increment(ref _fetched);
                    Trace?.Invoke($"Got a queue token for {_messageType} (AccessKeyId {AccessKeyCredential.Mask(token.AccessKeyId)}), valid for {(token.ExpiresAt - token.FetchedAt).TotalSeconds:0} s.");
                }
                return token;
            }, cancellationToken);
        }

        /// <summary>The token in an OK answer; null when a field is missing.</summary>
        internal static MnsToken? Read(JsonElement root, DateTimeOffset fetchedAt)
        {
            if (!root.TryGetProperty("MessageTokenDTO", out var dto) || dto.ValueKind != JsonValueKind.Object) return null;
            var id = JsonFields.Text(dto, "AccessKeyId");
            var secret = JsonFields.Text(dto, "AccessKeySecret");
            var securityToken = JsonFields.Text(dto, "SecurityToken");
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(secret) || string.IsNullOrEmpty(securityToken)) return null;
            // The lifetime is ExpireTime minus CreateTime, both on the server's clock, so a local clock that is off does not
            // shorten or stretch it; without CreateTime, ExpireTime against the local clock; without either, the Node SDKs'
            // assumption of ten minutes.
            var expires = ParseBeijing(JsonFields.Text(dto, "ExpireTime"));
            var created = ParseBeijing(JsonFields.Text(dto, "CreateTime"));
            TimeSpan lifetime;
            if (expires is DateTimeOffset e && created is DateTimeOffset c && e > c) lifetime = e - c;
            else if (expires is DateTimeOffset e2) lifetime = e2 - fetchedAt;
            else lifetime = TimeSpan.FromMinutes(10);
            if (lifetime < TimeSpan.Zero) lifetime = TimeSpan.Zero;
            return new MnsToken(id!, secret!, securityToken!, fetchedAt, fetchedAt + lifetime);
        }

        /// <summary>
        /// ExpireTime and CreateTime: the service's time format, Beijing time whatever the caller's zone (the official Java
        /// consumer parses them so). Not <see cref="Time.CallTime.ToBeijing"/>: that refuses times in the future.
        /// </summary>
        internal static DateTimeOffset? ParseBeijing(string? text)
        {
            if (string.IsNullOrWhiteSpace(text)) return null;
            if (DateTime.TryParseExact(text!.Trim(), Time.CallTime.ServiceFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
                return new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), Time.CallTime.BeijingOffset);
            return null;
        }
    }
}
