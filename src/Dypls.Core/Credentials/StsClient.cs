using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Signing;

namespace Dypls.Credentials
{
    /// <summary>
    /// STS 2015-04-01: AssumeRole (signed with RPC V1, like every RPC call) and AssumeRoleWithOIDC (unsigned; the OIDC
    /// token is the proof). POST with every parameter in the form body, so no token or signature lands in a URL.
    /// Throttling, 5xx and network failures are retried; every failure ends as CredentialSourceFailed with the STS code
    /// and what to do. Never quotes a secret, a token or a server message that could carry one.
    /// </summary>
    internal sealed class StsClient
    {
        public const string ApiVersion = "2015-04-01";

        // STS answers are a few hundred bytes; anything much larger is not an STS answer.
        internal const int MaxAnswerBytes = 256 * 1024;

        private readonly HttpClient _http;
        private readonly Func<DateTimeOffset> _clock;
        private readonly RetryBackoff _backoff = new RetryBackoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2), jitterFloor: 0.5);

        /// <param name="endpoint">From <see cref="StsEndpoint.Select"/>.</param>
        /// <param name="http">Client; null means the shared one (5 s connect timeout).</param>
        public StsClient(Uri endpoint, HttpClient? http = null, Func<DateTimeOffset>? clock = null)
        {
            Endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
            _http = http ?? Http.SharedHttpClient.Get(TimeSpan.FromSeconds(5));
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
        }

        public Uri Endpoint { get; }

        /// <summary>Limit for one STS request, as the official libraries' read timeout.</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Attempts for throttling, 5xx and network failures.</summary>
        public int MaxAttempts { get; set; } = 3;

        /// <summary>Requests sent so far (tests).</summary>
        public int Requests => Volatile.Read(ref _requests);
        private int _requests;

        public Task<AccessKeyCredential> AssumeRoleAsync(AccessKeyCredential caller, StsRoleRequest request, string source, CancellationToken ct)
        {
            var p = Common("AssumeRole", request);
            if (!string.IsNullOrEmpty(request.ExternalId)) p["ExternalId"] = request.ExternalId!;
            return SendAsync("AssumeRole", request, source, () =>
                RpcSigner.SignRequest("POST", p, caller, _clock(), Guid.NewGuid().ToString("N")),
                $"the source identity (AccessKeyId {caller.MaskedAccessKeyId}, {caller.Source})", ct);
        }

        public Task<AccessKeyCredential> AssumeRoleWithOidcAsync(string oidcProviderArn, string oidcToken, StsRoleRequest request, string source, CancellationToken ct)
        {
            var p = Common("AssumeRoleWithOIDC", request);
            p["OIDCProviderArn"] = oidcProviderArn;
            p["OIDCToken"] = oidcToken;
            return SendAsync("AssumeRoleWithOIDC", request, source, () =>
                new SortedDictionary<string, string>(p, StringComparer.Ordinal) { ["Timestamp"] = RpcSigner.FormatTimestamp(_clock()) },
                "the OIDC token", ct);
        }

        private static Dictionary<string, string> Common(string action, StsRoleRequest request)
        {
            var p = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Action"] = action,
                ["Version"] = ApiVersion,
                ["Format"] = "JSON",
                ["RoleArn"] = request.RoleArn,
                ["RoleSessionName"] = request.RoleSessionName,
                ["DurationSeconds"] = request.DurationSeconds.ToString(CultureInfo.InvariantCulture),
            };
            if (!string.IsNullOrEmpty(request.Policy)) p["Policy"] = request.Policy!;
            return p;
        }

        private async Task<AccessKeyCredential> SendAsync(string action, StsRoleRequest request, string source,
            Func<IDictionary<string, string>> build, string caller, CancellationToken ct)
        {
            var what = $"{action} of role {request.RoleArn} at {Endpoint.Host}{(Endpoint.IsDefaultPort ? "" : ":" + Endpoint.Port.ToString(CultureInfo.InvariantCulture))}";
            string? lastFailure = null;
            for (var attempt = 1; ; attempt++)
            {
                ct.ThrowIfCancellationRequested();
                string? retry;
                try
                {
                    var (status, body) = await PostAsync(build(), ct).ConfigureAwait(false);
                    var answer = StsAnswer.Parse(body);
                    if (status >= 200 && status < 300 && answer.Credential != null)
                        return ToCredential(answer.Credential.Value, source);
                    retry = Transient(status, answer.Code);
                    if (retry == null) throw Permanent(what, status, answer, request, caller);
                    lastFailure = $"STS code {answer.Code ?? "HTTP " + status.ToString(CultureInfo.InvariantCulture)}{RequestIdText(answer)}";
                }
                catch (StsTransportException ex)
                {
                    retry = ex.Message;
                    lastFailure = ex.Message;
                }
                if (attempt >= Math.Max(1, MaxAttempts))
                {
                    var advice = lastFailure != null && lastFailure.IndexOf("Throttling", StringComparison.OrdinalIgnoreCase) >= 0
                        ? "STS throttled the requests; wait a minute and run again (every row would have failed alike, so the run stopped once)."
                        : $"Check that this machine reaches {Endpoint.Host} (a proxy or firewall), or choose another STS endpoint with sts_region / {CredentialEnvironmentVariables.StsRegion}, enable_vpc / {CredentialEnvironmentVariables.VpcEndpointEnabled} or sts_endpoint / {CredentialEnvironmentVariables.StsEndpoint}.";
                    throw new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                        $"{what} failed after {attempt} attempts ({lastFailure}). {advice}");
                }
                await Task.Delay(_backoff.Delay(attempt), ct).ConfigureAwait(false);
            }
        }

        private async Task<(int Status, string Body)> PostAsync(IDictionary<string, string> parameters, CancellationToken ct)
        {
            Interlocked.Increment(ref _requests);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(RequestTimeout);
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, Endpoint)
                {
                    Content = new StringContent(RpcSigner.ToQueryString(parameters), Encoding.UTF8, "application/x-www-form-urlencoded"),
                };
                // Bounded waits: on .NET Framework a cancelled read would otherwise wait for data that never comes.
                var bounded = new Http.BoundedResponse(timeout.Token);
                using var response = await bounded.WaitAsync(_http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token)).ConfigureAwait(false);
                bounded.Response = response;
                var body = await bounded.ReadCappedTextAsync(response.Content, MaxAnswerBytes).ConfigureAwait(false);
                return ((int)response.StatusCode, body);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new StsTransportException($"no answer within {RequestTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s");
            }
            catch (HttpRequestException ex)
            {
                // Transport messages name host and port only, never the body (which holds the signature or the OIDC token).
                throw new StsTransportException("network error: " + (ex.InnerException?.Message ?? ex.Message));
            }
            catch (System.IO.IOException ex)
            {
                throw new StsTransportException("network error: " + ex.Message);
            }
        }

        private static string? Transient(int status, string? code)
        {
            if (code != null && (code.StartsWith("Throttling", StringComparison.OrdinalIgnoreCase) || code == "ServiceUnavailable" || code == "InternalError"))
                return code;
            if (status >= 500 || status == 429) return "HTTP " + status.ToString(CultureInfo.InvariantCulture);
            return null;
        }

        private CredentialException Permanent(string what, int status, StsAnswer answer, StsRoleRequest request, string caller)
        {
            var code = answer.Code;
            string advice;
            if (code == null)
            {
                advice = $"STS answered HTTP {status} without an STS answer. Is {Endpoint.Host} really an STS endpoint (sts_endpoint / {CredentialEnvironmentVariables.StsEndpoint})?";
            }
            else if (code == "NoPermission" || code.StartsWith("Forbidden", StringComparison.Ordinal))
            {
                advice = $"{Capital(caller)} may not assume {request.RoleArn}. The role's trust policy must allow it, and a RAM user needs sts:AssumeRole (for example the AliyunSTSAssumeRoleAccess policy).";
            }
            else if (code == "EntityNotExist.Role" || code.StartsWith("EntityNotExist.Role", StringComparison.Ordinal))
            {
                advice = $"The role {request.RoleArn} does not exist. Check the role ARN (ram_role_arn / role_arn / {CredentialEnvironmentVariables.RoleArn}); it looks like acs:ram::<account id>:role/<role name>.";
            }
            else if (code == "InvalidParameter.RoleSessionName" || code == "MissingRoleSessionName")
            {
                advice = $"The session name '{MessageText.Shorten(request.RoleSessionName)}' is not accepted: 2 to 64 letters, digits and . @ - _. Fix ram_session_name / role_session_name / {CredentialEnvironmentVariables.RoleSessionName}.";
            }
            else if (code == "InvalidParameter.DurationSeconds")
            {
                advice = $"The session length {request.DurationSeconds.ToString(CultureInfo.InvariantCulture)} s is not accepted: 900 s up to the role's maximum session duration. Fix expired_seconds / role_session_expiration.";
            }
            else if (code.StartsWith("InvalidAccessKeyId", StringComparison.Ordinal) || code == "SignatureDoesNotMatch" || code.StartsWith("InvalidSecurityToken", StringComparison.Ordinal))
            {
                advice = $"STS refused {caller}: check access_key_id / access_key_secret of the profile (or of its source_profile); the key may be wrong, disabled or expired.";
            }
            else if (code.IndexOf("OIDC", StringComparison.OrdinalIgnoreCase) >= 0)
            {
                advice = "STS refused the OIDC token or provider. Check that the token file is the one RRSA mounts (it is rotated: never copy it), that it has not expired, and that the OIDC provider ARN and the role's trust policy match it.";
            }
            else
            {
                // The server's own words, except where they could echo the request (SignatureDoesNotMatch quotes the string to sign).
                advice = string.IsNullOrEmpty(answer.Message) || answer.Message!.IndexOf("string to sign", StringComparison.OrdinalIgnoreCase) >= 0
                    ? "See the STS documentation for this code."
                    : "STS says: " + MessageText.Shorten(answer.Message!);
            }
            return new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                $"{what} failed: STS code {code ?? "(none)"}{RequestIdText(answer)}. {advice}");
        }

        private static string Capital(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s.Substring(1);

        private static string RequestIdText(StsAnswer a) => string.IsNullOrEmpty(a.RequestId) ? "" : $", RequestId {MessageText.Shorten(a.RequestId!)}";

        private AccessKeyCredential ToCredential(StsAnswer.Keys c, string source)
        {
            DateTimeOffset? expiration = null;
            if (c.Expiration != null)
            {
                if (!TryParseExpiration(c.Expiration, out var e))
                    throw new CredentialException(CredentialErrorIds.CredentialSourceFailed, $"STS at {Endpoint.Host} answered an Expiration that is not a date.");
                expiration = e;
            }
            return new AccessKeyCredential(c.AccessKeyId, c.AccessKeySecret, c.SecurityToken, source, expiration);
        }

        /// <summary>ISO 8601 (2015-04-09T11:52:19Z, with or without fractions or an offset), as STS and credential services write it.</summary>
        internal static bool TryParseExpiration(string text, out DateTimeOffset value) =>
            DateTimeOffset.TryParseExact(text.Trim(), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
            || DateTimeOffset.TryParse(text.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);

        private sealed class StsTransportException : Exception
        {
            public StsTransportException(string message) : base(message) { }
        }
    }
}
