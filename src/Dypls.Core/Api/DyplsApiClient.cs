using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Credentials;
using Dypls.Http;
using Dypls.Signing;

namespace Dypls.Api
{
    /// <summary>
    /// Calls Dyplsapi 2017-05-25 with RPC signature V1. Thread-safe: one instance serves every
    /// concurrent row of a pipeline. Retries transient failures with exponential backoff and jitter.
    /// </summary>
    internal sealed class DyplsApiClient
    {
        public const string ApiVersion = "2017-05-25";
        public const string QueryRecordFileDownloadUrlAction = "QueryRecordFileDownloadUrl";

        private readonly ICredentialProvider _credentials;
        private readonly DyplsClientOptions _options;
        private readonly HttpClient _http;
        private readonly Uri _endpoint;
        private readonly RetryBackoff _backoff;
        private readonly AdaptiveRateLimiter _pacer;

        public DyplsApiClient(ICredentialProvider credentials, DyplsClientOptions options, HttpClient? http = null)
        {
            _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
            _options = options ?? throw new ArgumentNullException(nameof(options));
            _endpoint = EndpointPolicy.Validate(options.Endpoint);
            _http = http ?? Http.SharedHttpClient.Get(options.ConnectTimeout);
            _pacer = new AdaptiveRateLimiter(options.Clock);
            _backoff = new RetryBackoff(options.BaseRetryDelay, options.MaxRetryDelay, jitterFloor: 0);
        }

        /// <summary>Requests per second the client paces itself to after throttling; null while unlimited.</summary>
        public double? PacedRate => _pacer.Rate;

        /// <summary>Throttled attempts allowed per call, on top of MaxAttempts: pacing makes them cheap and they say nothing about the row.</summary>
        public const int ThrottledAttemptsAllowance = 8;

        public Uri Endpoint => _endpoint;

        /// <summary>The product this client calls, as messages name it (Dyplsapi, Dybaseapi).</summary>
        public string Product => _options.ProductName;

        /// <summary>An answer is a few hundred bytes; anything past this is not a Dyplsapi answer and is not read.</summary>
        public const int MaxAnswerBytes = 64 * 1024;

        /// <summary>Called when an attempt was throttled, timed out or could not connect (for adaptive concurrency). Any thread.</summary>
        public Action? Congestion { get; set; }

        /// <summary>Receives safe, human-readable trace lines (no secrets, URLs redacted). Called from any thread.</summary>
        public Action<string>? Trace { get; set; }

        public Task<RecordFileUrl> QueryRecordFileDownloadUrlAsync(string callId, string callTime, string poolKey, CancellationToken cancellationToken) =>
            QueryRecordFileDownloadUrlAsync(callId, callTime, poolKey, null, cancellationToken);

        /// <param name="poolKey">The pool key; may be empty when <paramref name="productType"/> is given (older accounts).</param>
        public Task<RecordFileUrl> QueryRecordFileDownloadUrlAsync(string callId, string callTime, string poolKey, string? productType, CancellationToken cancellationToken)
        {
            var parameters = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["Action"] = QueryRecordFileDownloadUrlAction,
                ["Version"] = ApiVersion,
                ["Format"] = "JSON",
                ["CallId"] = callId,
                ["CallTime"] = callTime,
            };
            if (!string.IsNullOrEmpty(poolKey)) parameters["PoolKey"] = poolKey;
            if (!string.IsNullOrEmpty(productType)) parameters["ProductType"] = productType!;
            return CallAsync(parameters, ReadDownloadUrl, cancellationToken);
        }

        private RecordFileUrl? ReadDownloadUrl(JsonElement root, string? requestId, int attempt)
        {
            if (!(JsonFields.Text(root, "DownloadUrl") is string url) || url.Length == 0) return null;
            var expires = RecordFileUrl.ReadExpires(url) ?? _options.Clock() + RecordFileUrl.DocumentedLifetime;
            return new RecordFileUrl(url, requestId, expires, attempt);
        }

        /// <summary>
        /// One RPC call of this client's product, retried as every call is. <paramref name="read"/> turns an OK answer's
        /// JSON into the result; null means the answer lacks what the call returns (UnexpectedResponse).
        /// </summary>
        public Task<T> CallAsync<T>(Dictionary<string, string> apiParameters, Func<JsonElement, string?, int, T?> read, CancellationToken cancellationToken) where T : class
        {
            var maxAttempts = Math.Max(1, _options.MaxAttempts);
            var resigned = false;
            var throttled = 0;
            return RetryLoop.RunAsync(async attempt =>
            {
                await _pacer.WaitAsync(cancellationToken).ConfigureAwait(false);
                var result = await SendOnceAsync(apiParameters, read, attempt, cancellationToken).ConfigureAwait(false);
                _pacer.OnSuccess();
                return result;
            }, (exception, attempt) =>
            {
                if (!(exception is RetryableAnswerException answer)) return RetryStep.Stop();
                var failure = answer.Failure;
                failure.Attempts = attempt;
                if (failure.Kind == ApiErrorKind.Resign && !resigned)
                {
                    // A fresh nonce and timestamp fix a one-off collision or a slow request; a repeat means the clock is wrong.
                    resigned = true;
                    Trace?.Invoke($"{failure.Code}: signing again with a fresh timestamp and nonce.");
                    return RetryStep.After(TimeSpan.Zero);
                }
                if (failure.Kind == ApiErrorKind.Resign && failure.Code == "InvalidTimeStamp.Expired") return RetryStep.Stop(ClockSkew(failure));
                if (failure.Kind != ApiErrorKind.Transient) return RetryStep.Stop(failure);
                if (failure.ErrorId == "Throttled" || failure.ErrorId == "RequestTimeout" || failure.ErrorId == "NetworkError") Congestion?.Invoke();
                if (failure.ErrorId == "Throttled")
                {
                    _pacer.OnThrottled();
                    throttled++;
                }
                if (attempt >= maxAttempts + Math.Min(throttled, ThrottledAttemptsAllowance)) return RetryStep.Stop(Exhausted(failure));

                // Once pacing is on, the shared slots space out throttled retries; a backoff on top would leave the quota idle.
                var delay = failure.ErrorId == "Throttled" && _pacer.Rate != null
                    ? answer.RetryAfter ?? TimeSpan.Zero
                    : BackoffDelay(attempt, answer.RetryAfter);
                Trace?.Invoke($"Attempt {attempt} of {maxAttempts} failed ({failure.Code ?? failure.ErrorId}); retrying in {delay.TotalMilliseconds:0} ms.");
                return RetryStep.After(delay);
            }, cancellationToken);
        }

        /// <summary>Full jitter: uniform in [0, min(max, base * 2^(attempt-1))]; a server's x-acs-retry-after is a floor.</summary>
        internal TimeSpan BackoffDelay(int attempt, TimeSpan? retryAfter)
        {
            var ms = _backoff.Delay(attempt).TotalMilliseconds;
            if (retryAfter is TimeSpan ra) ms = Math.Max(ms, Math.Min(ra.TotalMilliseconds, _options.MaxRetryDelay.TotalMilliseconds * 6));
            return TimeSpan.FromMilliseconds(ms);
        }

        private sealed class RetryableAnswerException : Exception
        {
            public RetryableAnswerException(DyplsApiException failure, TimeSpan? retryAfter) { Failure = failure; RetryAfter = retryAfter; }
            public DyplsApiException Failure { get; }
            public TimeSpan? RetryAfter { get; }
        }

        private async Task<T> SendOnceAsync<T>(Dictionary<string, string> apiParameters, Func<JsonElement, string?, int, T?> read, int attempt, CancellationToken cancellationToken) where T : class
        {
            var credential = await _credentials.GetCredentialAsync(cancellationToken).ConfigureAwait(false);
            var sentAt = _options.Clock();
            var signed = RpcSigner.SignRequest("POST", apiParameters, credential, sentAt, Guid.NewGuid().ToString("N"));

            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(_options.RequestTimeout);
            // The attempt's deadline covers the headers and the whole body: a body that never ends cannot hold a row.
            var bounded = new BoundedResponse(attemptCts.Token);
            HttpResponseMessage? response = null;
            string body;
            try
            {
                // POST with a form body, as the official SDKs do: the signature and any STS token stay out of URLs and proxy logs.
                using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint)
                {
                    Content = new StringContent(RpcSigner.ToQueryString(signed), Encoding.UTF8, "application/x-www-form-urlencoded"),
                };
                response = await bounded.WaitAsync(_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token)).ConfigureAwait(false);
                bounded.Response = response;
                body = await bounded.ReadCappedTextAsync(response.Content, MaxAnswerBytes).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                response?.Dispose();
                throw new RetryableAnswerException(new DyplsApiException("RequestTimeout",
                    $"{Product} at {_endpoint.Host} did not answer within {_options.RequestTimeout.TotalSeconds:0.#} s.", ApiErrorKind.Transient), null);
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is IOException || ex is ObjectDisposedException)
            {
                response?.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                throw new RetryableAnswerException(new DyplsApiException("NetworkError",
                    $"Could not reach {Product} at {_endpoint.Host}: {MessageText.Describe(ex)}", ApiErrorKind.Transient, inner: null), null);
            }

            using (response)
            {
                var status = (int)response.StatusCode;
                var answer = ParseAnswer(body);
                var receivedAt = _options.Clock();
                if (status >= 200 && status < 300 && string.Equals(answer.Code, "OK", StringComparison.OrdinalIgnoreCase))
                {
                    if (read(answer.Root, answer.RequestId, attempt) is T result) return result;
                    throw new RetryableAnswerException(new DyplsApiException("UnexpectedResponse",
                        $"{Product} answered OK without what {apiParameters["Action"]} returns (RequestId {answer.RequestId}).", ApiErrorKind.Permanent,
                        requestId: answer.RequestId, httpStatus: status), null);
                }

                var failure = ToException(answer, status, credential, signed);
                if (response.Headers.Date is DateTimeOffset serverDate) failure.ClockOffset = serverDate - receivedAt;
                throw new RetryableAnswerException(failure, RetryAfter(response));
            }
        }

        private static TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            // Alibaba's gateways send x-acs-retry-after in milliseconds (as their SDKs read it).
            if (response.Headers.TryGetValues("x-acs-retry-after", out var values))
            {
                foreach (var v in values)
                {
                    if (long.TryParse(v.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0)
                        return TimeSpan.FromMilliseconds(ms);
                }
            }
            return response.Headers.RetryAfter?.Delta;
        }

        private struct Answer
        {
            public string? Code, Message, RequestId, Recommend;
            public bool Parsed;
            public JsonElement Root;
        }

        private static Answer ParseAnswer(string body)
        {
            var a = new Answer();
            if (string.IsNullOrWhiteSpace(body)) return a;
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) return a;
                a.Parsed = true;
                a.Root = doc.RootElement.Clone();
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    var text = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.ToString();
                    switch (p.Name)
                    {
                        case "Code": a.Code = text; break;
                        case "Message": a.Message = text; break;
                        case "RequestId": a.RequestId = text; break;
                        case "Recommend": a.Recommend = text; break;
                    }
                }
            }
            catch (JsonException)
            {
                // Not JSON (a proxy's HTML page, say): reported below by status.
            }
            return a;
        }

        private DyplsApiException ToException(Answer answer, int status, AccessKeyCredential credential, IDictionary<string, string> signed)
        {
            if (!answer.Parsed || string.IsNullOrEmpty(answer.Code))
            {
                var kind = status >= 500 || status == 429 ? ApiErrorKind.Transient : ApiErrorKind.Permanent;
                if (status >= 200 && status < 300 && answer.Parsed)
                {
                    return new DyplsApiException("UnexpectedResponse", $"{Product} answered without a Code or DownloadUrl (RequestId {answer.RequestId}).", ApiErrorKind.Permanent,
                        requestId: answer.RequestId, httpStatus: status);
                }
                return new DyplsApiException(kind == ApiErrorKind.Transient ? "ServiceUnavailable" : "UnexpectedResponse",
                    $"{Product} at {_endpoint.Host} answered HTTP {status} with a body that is not a {Product} answer.", kind, httpStatus: status);
            }

            var code = answer.Code!;
            var errorKind = ApiErrorClassifier.Classify(code, status);
            var apiMessage = SafeMessage(code, answer.Message);
            var hint = Hint(code, answer.Message, credential, signed, _options.RamAction);
            var message = $"{Product} answered {code}: {apiMessage}" + (hint.Length > 0 ? " " + hint : "") +
                          (answer.RequestId is null ? "" : $" (RequestId {answer.RequestId})");
            return new DyplsApiException(ErrorIdFor(code, answer.Message, errorKind), message, errorKind, code, apiMessage, answer.RequestId, status);
        }

        internal static string ErrorIdFor(string code, string? message, ApiErrorKind kind)
        {
            if (kind == ApiErrorKind.Authentication) return "AuthenticationFailed";
            if (kind == ApiErrorKind.ActionDenied) return "ActionDenied";
            if (code.StartsWith("Throttling", StringComparison.OrdinalIgnoreCase) || code == "isv.FLOW_LIMIT") return "Throttled";
            // Server-side failures worth a retry (the gateway's InternalError/ServiceUnavailable, isp.SYSTEM_ERROR, ...) that
            // outlast the retries: one documented id, the service's Code stays in the exception.
            if (kind == ApiErrorKind.Transient) return "ServiceUnavailable";
            if (IsRecordingNotAvailable(code, message)) return "RecordingNotAvailable";
            return "ApiError." + code;
        }

        private static bool IsRecordingNotAvailable(string code, string? message)
        {
            // No documented code says "no recording"; recognise the shapes such answers take.
            var c = code.ToUpperInvariant();
            var m = (message ?? string.Empty).ToLowerInvariant();
            return c.Contains("RECORD") || c.Contains("NOT_EXIST") && !c.Contains("POOLKEY") && !c.Contains("ACCOUNT") && !c.Contains("PARTNER")
                || m.Contains("record") && (m.Contains("not") || m.Contains("no "));
        }

        /// <summary>The gateway's SignatureDoesNotMatch message quotes its StringToSign, which holds the STS token: drop it.</summary>
        private static string SafeMessage(string code, string? message)
        {
            var m = message ?? string.Empty;
            var cut = m.IndexOf("server string to sign is", StringComparison.OrdinalIgnoreCase);
            if (cut >= 0) m = m.Substring(0, cut).TrimEnd(' ', ':', '.') + ".";
            return m;
        }

        private static string Hint(string code, string? message, AccessKeyCredential credential, IDictionary<string, string> signed, string ramAction)
        {
            switch (code)
            {
                case "SignatureDoesNotMatch":
                    var serverSts = ServerStringToSign(message);
                    var ours = RpcSigner.StringToSign("POST", signed);
                    if (serverSts != null && !string.Equals(serverSts, ours, StringComparison.Ordinal))
                        return "The service signed a different request than Dypls sent; a proxy may have changed it.";
                    return $"The AccessKeySecret does not belong to AccessKeyId {credential.MaskedAccessKeyId} (from {credential.Source}).";
                case "InvalidAccessKeyId.NotFound":
                    return $"AccessKeyId {credential.MaskedAccessKeyId} (from {credential.Source}) does not exist.";
                case "InvalidAccessKeyId.Inactive":
                    return $"AccessKeyId {credential.MaskedAccessKeyId} (from {credential.Source}) is disabled.";
                case "Forbidden.RAM":
                case "isp.RAM_PERMISSION_DENY":
                    return $"Grant the RAM action {ramAction} to this identity.";
                case "isv.POOLKEY_NOT_EXISTS":
                    return "Check the PoolKey on the console's number pool page (号码池管理).";
            }
            if (code.StartsWith("InvalidSecurityToken", StringComparison.Ordinal))
                return $"The STS SecurityToken for AccessKeyId {credential.MaskedAccessKeyId} (from {credential.Source}) is missing, expired or does not match it; get a fresh token.";
            if (IsRecordingNotAvailable(code, message))
                return "Recordings can be fetched only for calls on bindings with recording on, and only within the retention window (14 days on the product page, 30 days in current docs); check CallId, CallTime and PoolKey.";
            return string.Empty;
        }

        private static string? ServerStringToSign(string? message)
        {
            if (message is null) return null;
            const string marker = "server string to sign is:";
            var i = message.IndexOf(marker, StringComparison.OrdinalIgnoreCase);
            return i < 0 ? null : message.Substring(i + marker.Length).Trim();
        }

        /// <summary>The last transient failure, with how often it was tried and what the user can do next.</summary>
        private static DyplsApiException Exhausted(DyplsApiException failure)
        {
            string advice;
            switch (failure.ErrorId)
            {
                case "Throttled": advice = "The account's request rate is limited: lower -ThrottleLimit, or run again later."; break;
                case "RequestTimeout":
                case "NetworkError": advice = "Check the network, any proxy and -Endpoint, or raise -TimeoutSec; then run again."; break;
                default: advice = "The service is having trouble; run again later."; break;
            }
            return new DyplsApiException(failure.ErrorId, $"{failure.Message} Gave up after {failure.Attempts} attempts. {advice}", failure.Kind,
                failure.Code, failure.ApiMessage, failure.RequestId, failure.HttpStatus, failure.Attempts)
            { ClockOffset = failure.ClockOffset };
        }

        private DyplsApiException ClockSkew(DyplsApiException failure)
        {
            var offset = failure.ClockOffset;
            var detail = offset is TimeSpan o
                ? $"The local clock is {Math.Abs(o.TotalMinutes):0.#} minutes {(o > TimeSpan.Zero ? "behind" : "ahead of")} the service's clock."
                : "The local clock is probably off by more than 15 minutes.";
            return new DyplsApiException("ClockSkew",
                $"{Product} rejected the request time twice (InvalidTimeStamp.Expired). {detail} Set the clock right (e.g. enable NTP time sync) and run again.",
                ApiErrorKind.Authentication, failure.Code, failure.ApiMessage, failure.RequestId, failure.HttpStatus, failure.Attempts)
            { ClockOffset = offset };
        }
    }
}
