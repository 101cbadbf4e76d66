using System;
using System.Globalization;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace Dypls.Credentials
{
    /// <summary>
    /// A local credentials service (CredentialsURI mode, credentials_uri type, ALIBABA_CLOUD_CREDENTIALS_URI): GET the URI,
    /// read Code (must be Success), AccessKeyId, AccessKeySecret, SecurityToken and Expiration as the CLI does.
    /// </summary>
    internal sealed class CredentialsUriCredentialProvider : RefreshingCredentialProvider
    {
        private readonly HttpClient _http;
        private readonly string _origin;

        public CredentialsUriCredentialProvider(Uri uri, string origin, HttpClient? http = null, Func<DateTimeOffset>? clock = null)
            : base(clock)
        {
            Uri = uri ?? throw new ArgumentNullException(nameof(uri));
            _origin = origin;
            _http = http ?? Http.SharedHttpClient.Get(TimeSpan.FromSeconds(5));
            // The URI may carry a query with a key of its own: show scheme, host and path only.
            Description = $"{origin}: credentials URI {Shown}";
        }

        public Uri Uri { get; }

        public override string Description { get; }

        /// <summary>Limit for one request, as the official libraries' read timeout.</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

        private string Shown => Uri.GetLeftPart(UriPartial.Path);

        protected override async Task<AccessKeyCredential> FetchAsync(CancellationToken cancellationToken)
        {
            string? failure = null;
            for (var attempt = 1; attempt <= 2; attempt++)
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(RequestTimeout);
                int status;
                string body;
                try
                {
                    var bounded = new Http.BoundedResponse(timeout.Token);
                    using var response = await bounded.WaitAsync(_http.GetAsync(Uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token)).ConfigureAwait(false);
                    bounded.Response = response;
                    status = (int)response.StatusCode;
                    body = await bounded.ReadCappedTextAsync(response.Content, StsClient.MaxAnswerBytes).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = $"no answer within {RequestTimeout.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s";
                    continue;
                }
                catch (HttpRequestException ex)
                {
                    failure = "network error: " + (ex.InnerException?.Message ?? ex.Message);
                    continue;
                }
                catch (System.IO.IOException ex)
                {
                    failure = "network error: " + ex.Message;
                    continue;
                }
                if (status >= 500) { failure = "HTTP " + status.ToString(CultureInfo.InvariantCulture); continue; }
                if (status != 200) throw Failed($"it answered HTTP {status.ToString(CultureInfo.InvariantCulture)}");
                // Expiration may be left out: such a credential is fetched again after RefreshWithoutExpiration.
                return CredentialServiceAnswer.Parse(body, $"{_origin}, credentials URI", expirationRequired: false, Failed);
            }
            throw Failed(failure ?? "no answer");
        }

        private CredentialException Failed(string why) =>
            new CredentialException(CredentialErrorIds.CredentialSourceFailed,
                $"The credentials URI {Shown} ({_origin}) gave no usable credential: {why}. Is the credentials service running, and does it answer Code 'Success' with AccessKeyId, AccessKeySecret, SecurityToken and Expiration?");
    }
}
