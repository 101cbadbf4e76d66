using System;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// Temporary credentials of the RAM role attached to an ECS instance, from the instance metadata
    /// service (IMDSv2 token first, v1 fallback unless disabled). Caches the credential until shortly
    /// before it expires; concurrent callers share one fetch.
    /// </summary>
    internal sealed class EcsRamRoleCredentialProvider : RefreshingCredentialProvider
    {
        /// <summary>IMDSv2 token lifetime we ask for: 6 h, the maximum the service grants.</summary>
        public const int MetadataTokenTtlSeconds = 21600;

        // Renew the token 5 min early so it never expires between our check and the server's.
        private static readonly TimeSpan TokenRenewMargin = TimeSpan.FromMinutes(5);

        // Metadata traffic must go straight to the link-local service, never through a proxy.
        private static readonly Lazy<HttpClient> SharedClient = new Lazy<HttpClient>(() =>
            new HttpClient(new HttpClientHandler { UseProxy = false, AllowAutoRedirect = false }) { Timeout = System.Threading.Timeout.InfiniteTimeSpan });

        private readonly HttpClient _http;
        private readonly TimeSpan _timeout;
        private readonly bool _imdsV1Disabled;

        private string? _token;               // only touched by FetchAsync, which the base runs one at a time
        private DateTimeOffset _tokenRenewAt;

        /// <param name="roleName">RAM role attached to the instance.</param>
        /// <param name="endpoint">Metadata service root, e.g. http://100.100.100.200/.</param>
        /// <param name="httpClient">Client to use; null means a shared proxy-less client. Its own Timeout is not relied on.</param>
        /// <param name="timeout">Limit for each metadata request.</param>
        /// <param name="imdsV1Disabled">True: no plain GET when the IMDSv2 token cannot be had.</param>
        /// <param name="clock">Current time; null means DateTimeOffset.UtcNow.</param>
        /// <param name="origin">What named the role (for Description), e.g. "role named by ALIBABA_CLOUD_ECS_METADATA".</param>
        public EcsRamRoleCredentialProvider(string roleName, Uri endpoint, HttpClient? httpClient = null, TimeSpan? timeout = null,
            bool imdsV1Disabled = false, Func<DateTimeOffset>? clock = null, string? origin = null)
            : base(clock)
        {
            if (string.IsNullOrWhiteSpace(roleName)) throw new ArgumentException("The role name is empty.", nameof(roleName));
            if (endpoint is null) throw new ArgumentNullException(nameof(endpoint));
            RoleName = roleName.Trim();
            Endpoint = endpoint.AbsoluteUri.EndsWith("/", StringComparison.Ordinal) ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
            _http = httpClient ?? SharedClient.Value;
            _timeout = timeout ?? TimeSpan.FromSeconds(1);
            _imdsV1Disabled = imdsV1Disabled;
            Description = $"ECS instance RAM role '{RoleName}' via metadata service {Endpoint} (IMDSv2{(imdsV1Disabled ? ", v1 fallback disabled" : " with v1 fallback")})"
                + (string.IsNullOrEmpty(origin) ? "" : ", " + origin);
        }

        public string RoleName { get; }

        public Uri Endpoint { get; }

        public override string Description { get; }

        private Uri TokenUri => new Uri(Endpoint, "latest/api/token");

        private Uri CredentialUri => new Uri(Endpoint, "latest/meta-data/ram/security-credentials/" + Uri.EscapeDataString(RoleName));

        protected override async Task<AccessKeyCredential> FetchAsync(CancellationToken cancellationToken)
        {
            var token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
            var answer = await SendAsync(HttpMethod.Get, CredentialUri, token, cancellationToken).ConfigureAwait(false);
            if (token != null && (answer.Status == HttpStatusCode.Unauthorized || answer.Status == HttpStatusCode.Forbidden))
            {
                // The service no longer accepts our token (restarted, revoked): get a new one once.
                _token = null;
                token = await GetTokenAsync(cancellationToken).ConfigureAwait(false);
                answer = await SendAsync(HttpMethod.Get, CredentialUri, token, cancellationToken).ConfigureAwait(false);
            }

            if (answer.Failure != null)
                throw new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                    $"The ECS metadata service at {Endpoint} did not answer the request for RAM role '{RoleName}' credentials ({answer.Failure}). " +
                    "Is this an ECS instance, with that role attached?");
            if (answer.Status == HttpStatusCode.NotFound)
                throw Failed($"HTTP 404: the RAM role '{RoleName}' is not attached to this instance (check the name in ALIBABA_CLOUD_ECS_METADATA or the profile)");
            if ((int)answer.Status < 200 || (int)answer.Status > 299)
                throw Failed($"HTTP {(int)answer.Status}");

            // The metadata service always sends Expiration: a role credential without one could not be renewed before it lapses.
            return CredentialServiceAnswer.Parse(answer.Body!, $"ECS instance RAM role '{RoleName}'", expirationRequired: true, Failed);
        }

        /// <summary>The IMDSv2 token, or null to use v1 (only when v1 is allowed).</summary>
        private async Task<string?> GetTokenAsync(CancellationToken ct)
        {
            if (_token != null && Clock() < _tokenRenewAt) return _token;
            _token = null;
            var answer = await SendAsync(HttpMethod.Put, TokenUri, null, ct).ConfigureAwait(false);
            string why;
            if (answer.Failure != null) why = answer.Failure;
            else if ((int)answer.Status < 200 || (int)answer.Status > 299) why = $"HTTP {(int)answer.Status}";
            else if (string.IsNullOrWhiteSpace(answer.Body)) why = "empty token";
            else
            {
                _token = answer.Body!.Trim();
                _tokenRenewAt = Clock() + TimeSpan.FromSeconds(MetadataTokenTtlSeconds) - TokenRenewMargin;
                return _token;
            }

            if (_imdsV1Disabled)
                throw new CredentialException(CredentialErrorIds.CredentialSourceFailed,
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
                var bounded = new Http.BoundedResponse(timeout.Token);
                using var response = await bounded.WaitAsync(_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token)).ConfigureAwait(false);
                bounded.Response = response;
                var body = await bounded.ReadCappedTextAsync(response.Content, StsClient.MaxAnswerBytes).ConfigureAwait(false);
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
            new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                $"The ECS metadata service at {Endpoint} gave no usable credential for RAM role '{RoleName}': {why}.");

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
