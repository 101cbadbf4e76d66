using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// Temporary credentials of the RAM role attached to an ECS instance, from the instance metadata
    /// service (IMDSv2 token first, v1 fallback unless disabled). Caches the credential until shortly
    /// before it expires; concurrent callers share one fetch.
    /// </summary>
    [SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Providers are cached for the process (SharedEcsProviders); _gate is only awaited, so SemaphoreSlim never creates an OS handle.")]
    public sealed class EcsRamRoleCredentialProvider : ICredentialProvider
    {
        /// <summary>IMDSv2 token lifetime we ask for: 6 h, the maximum the service grants.</summary>
        public const int MetadataTokenTtlSeconds = 21600;

        // Renew the token 5 min early so it never expires between our check and the server's.
        private static readonly TimeSpan TokenRenewMargin = TimeSpan.FromMinutes(5);

        // Refresh when less than max(3 min, 10% of the lifetime) is left: 3 min covers clock skew and a
        // slow API call made with the credential; 10% keeps the margin proportional for long-lived tokens.
        private static readonly TimeSpan MinRefreshMargin = TimeSpan.FromMinutes(3);

        // After a failed refresh while the old credential still works, wait this long before trying again,
        // so each API call does not pay the metadata timeouts.
        private static readonly TimeSpan RetryAfterFailedRefresh = TimeSpan.FromSeconds(30);

        // Metadata traffic must go straight to the link-local service, never through a proxy.
        private static readonly Lazy<HttpClient> SharedClient = new Lazy<HttpClient>(() =>
            new HttpClient(new HttpClientHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan });

        private readonly HttpClient _http;
        private readonly TimeSpan _timeout;
        private readonly bool _imdsV1Disabled;
        private readonly Func<DateTimeOffset> _clock;
        private readonly SemaphoreSlim _gate = new SemaphoreSlim(1, 1);

        private volatile CachedCredential? _cached;
        private string? _token;               // guarded by _gate
        private DateTimeOffset _tokenRenewAt; // guarded by _gate

        /// <param name="roleName">RAM role attached to the instance.</param>
        /// <param name="endpoint">Metadata service root, e.g. http://100.100.100.200/.</param>
        /// <param name="httpClient">Client to use; null means a shared proxy-less client. Its own Timeout is not relied on.</param>
        /// <param name="timeout">Limit for each metadata request.</param>
        /// <param name="imdsV1Disabled">True: no plain GET when the IMDSv2 token cannot be had.</param>
        /// <param name="clock">Current time; null means DateTimeOffset.UtcNow.</param>
        /// <param name="origin">What named the role (for Description), e.g. "role named by ALIBABA_CLOUD_ECS_METADATA".</param>
        public EcsRamRoleCredentialProvider(string roleName, Uri endpoint, HttpClient? httpClient = null, TimeSpan? timeout = null,
            bool imdsV1Disabled = false, Func<DateTimeOffset>? clock = null, string? origin = null)
        {
            if (string.IsNullOrWhiteSpace(roleName)) throw new ArgumentException("The role name is empty.", nameof(roleName));
            if (endpoint is null) throw new ArgumentNullException(nameof(endpoint));
            RoleName = roleName.Trim();
            Endpoint = endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
            _http = httpClient ?? SharedClient.Value;
            _timeout = timeout ?? TimeSpan.FromSeconds(1);
            _imdsV1Disabled = imdsV1Disabled;
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
            Description = $"ECS instance RAM role '{RoleName}' via metadata service {Endpoint} (IMDSv2{(imdsV1Disabled ? ", v1 fallback disabled" : " with v1 fallback")})"
                + (string.IsNullOrEmpty(origin) ? "" : ", " + origin);
        }

        public string RoleName { get; }

        public Uri Endpoint { get; }

        public string Description { get; }

        private Uri TokenUri => new Uri(Endpoint, "latest/api/token");

        private Uri CredentialUri => new Uri(Endpoint, "latest/meta-data/ram/security-credentials/" + Uri.EscapeDataString(RoleName));

        public async Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken)
        {
            var cached = _cached;
            if (cached != null && _clock() < cached.RefreshAt) return cached.Credential;

            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Someone else may have refreshed while we waited: one fetch serves all waiters.
                cached = _cached;
                var now = _clock();
                if (cached != null && now < cached.RefreshAt) return cached.Credential;
                try
                {
                    var fresh = await FetchAsync(cancellationToken).ConfigureAwait(false);
                    _cached = fresh;
                    return fresh.Credential;
                }
                catch (CredentialException) when (cached != null && now < cached.Credential.Expiration)
                {
                    // The old credential still works: keep serving it and retry a little later.
                    var retryAt = now + RetryAfterFailedRefresh;
                    _cached = new CachedCredential(cached.Credential, retryAt < cached.Credential.Expiration!.Value ? retryAt : cached.Credential.Expiration.Value);
                    return cached.Credential;
                }
            }
            finally
            {
                _gate.Release();
            }
        }

        public override string ToString() => Description;

        private async Task<CachedCredential> FetchAsync(CancellationToken ct)
        {
            var token = await GetTokenAsync(ct).ConfigureAwait(false);
            var answer = await SendAsync(HttpMethod.Get, CredentialUri, token, ct).ConfigureAwait(false);
            if (token != null && (answer.Status == HttpStatusCode.Unauthorized || answer.Status == HttpStatusCode.Forbidden))
            {
                // The service no longer accepts our token (restarted, revoked): get a new one once.
                _token = null;
                token = await GetTokenAsync(ct).ConfigureAwait(false);
                answer = await SendAsync(HttpMethod.Get, CredentialUri, token, ct).ConfigureAwait(false);
            }

            if (answer.Failure != null)
                throw new CredentialException(CredentialErrorIds.EcsMetadataUnavailable,
                    $"The ECS metadata service at {Endpoint} did not answer the request for RAM role '{RoleName}' credentials ({answer.Failure}). " +
                    "Is this an ECS instance, with that role attached?");
            if (answer.Status == HttpStatusCode.NotFound)
                throw Failed($"HTTP 404: the RAM role '{RoleName}' is not attached to this instance (check the name in ALIBABA_CLOUD_ECS_METADATA or the profile)");
            if ((int)answer.Status < 200 || (int)answer.Status > 299)
                throw Failed($"HTTP {(int)answer.Status}");

            return Parse(answer.Body!);
        }

        private CachedCredential Parse(string body)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw Failed("the answer is not a JSON object");
                var code = Field(root, "Code");
                if (!string.Equals(code, "Success", StringComparison.OrdinalIgnoreCase))
                    throw Failed($"the answer's Code is '{Truncate(code ?? "(none)")}', not 'Success'");
                var id = Required(root, "AccessKeyId");
                var secret = Required(root, "AccessKeySecret");
                var sts = Required(root, "SecurityToken");
                var expirationText = Required(root, "Expiration");
                if (!DateTimeOffset.TryParseExact(expirationText, "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                        DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var expiration)
                    && !DateTimeOffset.TryParse(expirationText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out expiration))
                    throw Failed("the answer's Expiration is not a date");

                var now = _clock();
                var lifetime = expiration - now;
                var margin = TimeSpan.FromTicks(Math.Max(MinRefreshMargin.Ticks, lifetime.Ticks / 10));
                var credential = new AccessKeyCredential(id, secret, sts, $"ECS instance RAM role '{RoleName}'", expiration);
                return new CachedCredential(credential, expiration - margin);
            }
            catch (JsonException)
            {
                // Never quote the body: it would contain the secret.
                throw Failed("the answer is not valid JSON");
            }
        }

        /// <summary>The IMDSv2 token, or null to use v1 (only when v1 is allowed).</summary>
        private async Task<string?> GetTokenAsync(CancellationToken ct)
        {
            if (_token != null && _clock() < _tokenRenewAt) return _token;
            _token = null;
            var answer = await SendAsync(HttpMethod.Put, TokenUri, null, ct).ConfigureAwait(false);
            string why;
            if (answer.Failure != null) why = answer.Failure;
            else if ((int)answer.Status < 200 || (int)answer.Status > 299) why = $"HTTP {(int)answer.Status}";
            else if (string.IsNullOrWhiteSpace(answer.Body)) why = "empty token";
            else
            {
                _token = answer.Body!.Trim();
                _tokenRenewAt = _clock() + TimeSpan.FromSeconds(MetadataTokenTtlSeconds) - TokenRenewMargin;
                return _token;
            }

            if (_imdsV1Disabled)
                throw new CredentialException(CredentialErrorIds.EcsMetadataUnavailable,
                    $"Could not get an IMDSv2 token from {TokenUri} for RAM role '{RoleName}' ({why}), and {CredentialEnvironmentVariables.ImdsV1Disabled}=true forbids the IMDSv1 fallback.");
            return null;
        }

        private async Task<MetadataAnswer> SendAsync(HttpMethod method, Uri uri, string? token, CancellationToken ct)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (method == HttpMethod.Put)
                request.Headers.TryAddWithoutValidation("X-aliyun-ecs-metadata-token-ttl-seconds", MetadataTokenTtlSeconds.ToString(CultureInfo.InvariantCulture));
            if (token != null)
                request.Headers.TryAddWithoutValidation("X-aliyun-ecs-metadata-token", token);

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(_timeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                return new MetadataAnswer(response.StatusCode, body, null);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                return new MetadataAnswer(0, null, $"no answer within {_timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s");
            }
            catch (HttpRequestException ex)
            {
                // Transport messages name host and port only, never headers (the token).
                return new MetadataAnswer(0, null, ex.InnerException?.Message ?? ex.Message);
            }
            catch (System.IO.IOException ex)
            {
                return new MetadataAnswer(0, null, ex.Message);
            }
        }

        private CredentialException Failed(string why) =>
            new CredentialException(CredentialErrorIds.EcsRoleCredentialFailed,
                $"The ECS metadata service at {Endpoint} gave no usable credential for RAM role '{RoleName}': {why}.");

        private static string? Field(JsonElement root, string name) =>
            root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private string Required(JsonElement root, string name)
        {
            var v = Field(root, name);
            if (string.IsNullOrWhiteSpace(v)) throw Failed($"the answer has no {name}");
            return v!;
        }

        private static string Truncate(string s) => s.Length <= 40 ? s : s.Substring(0, 40) + "…";

        private sealed class CachedCredential
        {
            public CachedCredential(AccessKeyCredential credential, DateTimeOffset refreshAt)
            {
                Credential = credential;
                RefreshAt = refreshAt;
            }

            public AccessKeyCredential Credential { get; }
            public DateTimeOffset RefreshAt { get; }
        }

        private readonly struct MetadataAnswer
        {
            public MetadataAnswer(HttpStatusCode status, string? body, string? failure)
            {
                Status = status;
                Body = body;
                Failure = failure;
            }

            public HttpStatusCode Status { get; }
            public string? Body { get; }
            public string? Failure { get; }
        }
    }
}
