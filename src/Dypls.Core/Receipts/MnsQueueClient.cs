using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using System.Xml;
using System.Xml.Linq;
using Dypls.Api;
using Dypls.Http;

namespace Dypls.Receipts
{
    /// <summary>
    /// One receipt queue over the MNS queue API (2015-06-06): receive in batches with long polling, delete in batches,
    /// extend visibility. Signs each request with the queue's token, fetches the token again once when the queue refuses
    /// it, and retries 5xx, throttling, resets and timeouts with the shared retry loop. Thread-safe.
    /// </summary>
    internal sealed class MnsQueueClient
    {
        public const int MaxBatch = 16;
        public const int MaxWaitSeconds = 30;

        // An answer of 16 messages of a few hundred bytes each is small; anything far larger is not a queue answer.
        private const int MaxAnswerBytes = 1024 * 1024;
        private static readonly Regex QueueNamePattern = new Regex("^[A-Za-z0-9][A-Za-z0-9-]{0,255}$", RegexOptions.CultureInvariant);

        private readonly Uri _endpoint;
        private readonly MnsTokenSource _tokens;
        private readonly HttpClient _http;
        private readonly TimeSpan _requestTimeout;
        private readonly int _maxAttempts;
        private readonly RetryBackoff _backoff;
        private readonly Func<DateTimeOffset> _clock;
        private int _requests;

        public MnsQueueClient(Uri endpoint, string queueName, MnsTokenSource tokens, HttpClient http, TimeSpan requestTimeout, int maxAttempts,
            Func<DateTimeOffset>? clock = null, TimeSpan? baseRetryDelay = null)
        {
            _endpoint = EndpointPolicy.Validate(endpoint);
            QueueName = ValidQueueName(queueName);
            _tokens = tokens;
            _http = http;
            _requestTimeout = requestTimeout;
            _maxAttempts = Math.Max(1, maxAttempts);
            _clock = clock ?? (() => DateTimeOffset.UtcNow);
            _backoff = new RetryBackoff(baseRetryDelay ?? TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), jitterFloor: 0);
        }

        public string QueueName { get; }

        public Uri Endpoint => _endpoint;

        /// <summary>HTTP requests sent to the queue so far (MNS bills per request).</summary>
        public int Requests => Volatile.Read(ref _requests);

        public Action<string>? Trace { get; set; }

        public static string ValidQueueName(string? name)
        {
            var n = (name ?? string.Empty).Trim();
            if (!QueueNamePattern.IsMatch(n))
                throw new DyplsException("InvalidQueueName", $"'{MessageText.Shorten(n)}' is not a queue name. Use the name the console shows, such as Alicom-Queue-1234567890-SecretRecording.", category: FailureCategory.InvalidArgument);
            return n;
        }

        /// <summary>Up to <paramref name="max"/> messages; empty when the queue had none within <paramref name="waitSeconds"/>.</summary>
        public Task<List<MnsMessage>> ReceiveAsync(int max, int waitSeconds, CancellationToken cancellationToken)
        {
            max = Math.Max(1, Math.Min(MaxBatch, max));
            waitSeconds = Math.Max(0, Math.Min(MaxWaitSeconds, waitSeconds));
            var resource = $"/queues/{QueueName}/messages?numOfMessages={max}&waitseconds={waitSeconds}";
            // A long poll answers after up to waitSeconds: the read deadline covers that on top of a normal answer.
            var timeout = _requestTimeout + TimeSpan.FromSeconds(waitSeconds);
            return SendAsync("GET", resource, null, timeout, answer =>
            {
                if (answer.Status == 200) return ParseMessages(answer);
                if (answer.Code == "MessageNotExist") return new List<MnsMessage>();
                return null;
            }, cancellationToken);
        }

        /// <summary>Deletes the messages of <paramref name="handles"/> (at most 16); returns the handles it did not delete.</summary>
        public Task<List<MnsDeleteFailure>> DeleteAsync(IReadOnlyList<string> handles, CancellationToken cancellationToken)
        {
            if (handles.Count == 0 || handles.Count > MaxBatch) throw new ArgumentOutOfRangeException(nameof(handles));
            var xml = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ReceiptHandles xmlns=\"http://mns.aliyuncs.com/doc/v1/\">");
            foreach (var h in handles) xml.Append("<ReceiptHandle>").Append(EscapeXml(h)).Append("</ReceiptHandle>");
            xml.Append("</ReceiptHandles>");
            var body = Encoding.UTF8.GetBytes(xml.ToString());
            return SendAsync("DELETE", $"/queues/{QueueName}/messages", body, _requestTimeout, answer =>
            {
                if (answer.Status == 204 || answer.Status == 200) return new List<MnsDeleteFailure>();
                if (answer.Root == "Errors") return answer.Failures;
                return null;
            }, cancellationToken);
        }

        /// <summary>Makes the message of <paramref name="handle"/> invisible for <paramref name="seconds"/> more; returns its new handle.</summary>
        public Task<MnsMessage> ChangeVisibilityAsync(string handle, int seconds, CancellationToken cancellationToken)
        {
            seconds = Math.Max(1, Math.Min(43200, seconds));
            var resource = $"/queues/{QueueName}/messages?ReceiptHandle={handle}&VisibilityTimeout={seconds.ToString(CultureInfo.InvariantCulture)}";
            return SendAsync("PUT", resource, null, _requestTimeout, answer =>
            {
                if (answer.Status != 200) return null;
                var changed = new MnsMessage();
                if (answer.Fields.TryGetValue("ReceiptHandle", out var h)) changed.ReceiptHandle = h;
                changed.VisibleAgainAt = LocalTime(answer, answer.Fields.TryGetValue("NextVisibleTime", out var n) ? n : null) ?? _clock().AddSeconds(seconds);
                return changed.ReceiptHandle.Length == 0 ? null : changed;
            }, cancellationToken);
        }

        private static string EscapeXml(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

        private sealed class Answer
        {
            public int Status;
            public string? Root, Code, Message, RequestId;
            public DateTimeOffset? ServerDate;
            public DateTimeOffset ReceivedAt;
            public readonly List<Dictionary<string, string>> Items = new List<Dictionary<string, string>>();
            public readonly Dictionary<string, string> Fields = new Dictionary<string, string>(StringComparer.Ordinal);
            public readonly List<MnsDeleteFailure> Failures = new List<MnsDeleteFailure>();
        }

        private async Task<T> SendAsync<T>(string verb, string resource, byte[]? body, TimeSpan timeout, Func<Answer, T?> read, CancellationToken cancellationToken) where T : class
        {
            var refreshed = false;
            return await RetryLoop.RunAsync(async attempt =>
            {
                var token = await _tokens.GetAsync(cancellationToken).ConfigureAwait(false);
                var answer = await SendOnceAsync(verb, resource, body, timeout, token, cancellationToken).ConfigureAwait(false);
                if (answer.Status < 300 || answer.Status == 404 && (answer.Root == "Errors" || answer.Code == "MessageNotExist"))
                {
                    if (read(answer) is T result) return result;
                }
                throw Failure(answer, token);
            }, (ex, attempt) =>
            {
                if (!(ex is MnsException failure)) return RetryStep.Stop();
                if (failure.HttpStatus == 403 && failure.Code != "AccessDenied" && !refreshed)
                {
                    // The queue refused the token (expired, or revoked): fetch a new one, once.
                    refreshed = true;
                    Trace?.Invoke($"The queue refused its token ({failure.Code}); getting a new one.");
                    return RetryStep.Uncounted(TimeSpan.Zero);
                }
                if (!failure.IsTransient) return RetryStep.Stop(failure.HttpStatus == 403 && failure.Code != "AccessDenied" ? Refused(failure) : null);
                if (attempt >= _maxAttempts)
                {
                    return RetryStep.Stop(new MnsException("QueueUnavailable",
                        $"{failure.Message} Gave up after {attempt} attempts. The queue service is having trouble or cannot be reached; check the network and -QueueEndpoint, then run again.",
                        failure.Code, failure.HttpStatus, failure.RequestId, transient: true, stopsRun: true, category: FailureCategory.ResourceUnavailable));
                }
                var delay = _backoff.Delay(attempt);
                Trace?.Invoke($"Queue request attempt {attempt} of {_maxAttempts} failed ({failure.Code ?? failure.ErrorId}); retrying in {delay.TotalMilliseconds:0} ms.");
                return RetryStep.After(delay);
            }, cancellationToken).ConfigureAwait(false);
        }

        private MnsException Refused(MnsException failure) => new MnsException("QueueAuthenticationFailed",
            $"The queue {QueueName} refused a freshly fetched token ({failure.Code}): {failure.Message} Check the local clock, any proxy, and that -QueueEndpoint is the queue service of Dybaseapi's tokens.",
            failure.Code, failure.HttpStatus, failure.RequestId, stopsRun: true, category: FailureCategory.AuthenticationError);

        private async Task<Answer> SendOnceAsync(string verb, string resource, byte[]? body, TimeSpan timeout, MnsToken token, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _requests);
            var uri = new Uri(_endpoint, resource);
            using var request = new HttpRequestMessage(new HttpMethod(verb), uri);
            var date = _clock().UtcDateTime.ToString("r", CultureInfo.InvariantCulture);
            string? contentType = null;
            if (body != null)
            {
                contentType = "text/xml";
                request.Content = new ByteArrayContent(body);
                request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            }
            var mnsHeaders = new[] { new KeyValuePair<string, string>("x-mns-version", MnsSigner.ApiVersion) };
            // The signature covers the request target as it goes on the wire.
            var stringToSign = MnsSigner.StringToSign(verb, null, contentType, date, mnsHeaders, uri.PathAndQuery);
            request.Headers.TryAddWithoutValidation("Date", date);
            request.Headers.TryAddWithoutValidation("x-mns-version", MnsSigner.ApiVersion);
            request.Headers.TryAddWithoutValidation("Authorization", MnsSigner.Authorization(token.AccessKeyId, MnsSigner.Sign(token.AccessKeySecret, stringToSign)));
            request.Headers.TryAddWithoutValidation("security-token", token.SecurityToken);

            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptCts.CancelAfter(timeout);
            var bounded = new BoundedResponse(attemptCts.Token);
            HttpResponseMessage? response = null;
            try
            {
                response = await bounded.WaitAsync(_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attemptCts.Token)).ConfigureAwait(false);
                bounded.Response = response;
                var text = await bounded.ReadCappedTextAsync(response.Content, MaxAnswerBytes).ConfigureAwait(false);
                var answer = new Answer { Status = (int)response.StatusCode, ServerDate = response.Headers.Date, ReceivedAt = _clock() };
                Parse(text, answer);
                return answer;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new MnsException("QueueTimeout", $"The queue service at {_endpoint.Host} did not answer within {timeout.TotalSeconds:0.#} s.", transient: true, category: FailureCategory.OperationTimeout);
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is IOException || ex is ObjectDisposedException)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new MnsException("QueueNetworkError", $"Could not reach the queue service at {_endpoint.Host}: {MessageText.Describe(ex)}", transient: true, category: FailureCategory.ConnectionError);
            }
            finally
            {
                response?.Dispose();
            }
        }

        private static void Parse(string text, Answer answer)
        {
            if (string.IsNullOrWhiteSpace(text)) return;
            XElement root;
            try
            {
                var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null, MaxCharactersInDocument = MaxAnswerBytes * 2 };
                using var reader = XmlReader.Create(new StringReader(text), settings);
                root = XElement.Load(reader);
            }
            catch (XmlException)
            {
                return;
            }
            // Names are matched without their namespace: the service's answers and the SDKs disagree on a trailing slash.
            answer.Root = root.Name.LocalName;
            foreach (var child in root.Elements())
            {
                if (answer.Root == "Messages" || answer.Root == "Errors")
                {
                    var item = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var field in child.Elements()) item[field.Name.LocalName] = field.Value;
                    answer.Items.Add(item);
                }
                else
                {
                    answer.Fields[child.Name.LocalName] = child.Value;
                }
            }
            if (answer.Root == "Error")
            {
                answer.Fields.TryGetValue("Code", out answer.Code);
                answer.Fields.TryGetValue("Message", out answer.Message);
                answer.Fields.TryGetValue("RequestId", out answer.RequestId);
            }
            if (answer.Root == "Errors")
            {
                foreach (var e in answer.Items)
                {
                    e.TryGetValue("ReceiptHandle", out var h);
                    e.TryGetValue("ErrorCode", out var c);
                    e.TryGetValue("ErrorMessage", out var m);
                    answer.Failures.Add(new MnsDeleteFailure(h ?? string.Empty, c ?? string.Empty, m ?? string.Empty));
                }
            }
            if (answer.Root == "Message") answer.Items.Add(answer.Fields);
        }

        private static List<MnsMessage>? ParseMessages(Answer answer)
        {
            if (answer.Root != "Messages" && answer.Root != "Message") return null;
            var messages = new List<MnsMessage>();
            foreach (var item in answer.Items)
            {
                if (!item.TryGetValue("ReceiptHandle", out var handle) || handle.Length == 0) continue;
                item.TryGetValue("MessageId", out var id);
                item.TryGetValue("MessageBody", out var body);
                item.TryGetValue("MessageBodyMD5", out var md5);
                item.TryGetValue("DequeueCount", out var count);
                item.TryGetValue("EnqueueTime", out var enqueued);
                item.TryGetValue("NextVisibleTime", out var next);
                messages.Add(new MnsMessage
                {
                    MessageId = id ?? string.Empty,
                    ReceiptHandle = handle,
                    Body = body ?? string.Empty,
                    BodyMd5 = md5,
                    DequeueCount = int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : 1,
                    EnqueuedAt = Epoch(enqueued),
                    // Without a usable time, the documented default visibility of 30 seconds.
                    VisibleAgainAt = LocalTime(answer, next) ?? answer.ReceivedAt.AddSeconds(30),
                });
                messages[messages.Count - 1].Visibility = messages[messages.Count - 1].VisibleAgainAt - answer.ReceivedAt;
            }
            return messages;
        }

        private static DateTimeOffset? Epoch(string? ms) =>
            long.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 253402300799000 ? DateTimeOffset.FromUnixTimeMilliseconds(v) : (DateTimeOffset?)null;

        /// <summary>A server time on the local clock: shifted by how far the server's Date header is from the local clock.</summary>
        private static DateTimeOffset? LocalTime(Answer answer, string? serverEpochMs)
        {
            if (!(Epoch(serverEpochMs) is DateTimeOffset server)) return null;
            if (answer.ServerDate is DateTimeOffset date)
            {
                // Date has whole seconds: allow for that by counting the answer as sent a second later than it says.
                var offset = answer.ReceivedAt - date.AddSeconds(1);
                if (offset > TimeSpan.FromSeconds(2) || offset < TimeSpan.FromSeconds(-2)) return server + offset;
            }
            return server;
        }

        private MnsException Failure(Answer answer, MnsToken token)
        {
            var status = answer.Status;
            var code = answer.Code;
            var rid = answer.RequestId is null ? string.Empty : $" (RequestId {answer.RequestId})";
            var said = $"The queue {QueueName} answered {code ?? "HTTP " + status}{(string.IsNullOrEmpty(answer.Message) ? "" : ": " + answer.Message)}{rid}.";
            switch (code)
            {
                case "QueueNotExist":
                    return new MnsException("QueueNotFound", $"{said} Check -QueueName against the console's receipt settings (消息回执), such as Alicom-Queue-1234567890-SecretRecording, and -QueueEndpoint.",
                        code, status, answer.RequestId, stopsRun: true, category: FailureCategory.ObjectNotFound);
                case "AccessDenied":
                    return new MnsException("QueueAccessDenied", $"{said} The token opens only the queue of its message type: check that -MessageType matches -QueueName, and that the queue belongs to this account.",
                        code, status, answer.RequestId, stopsRun: true, category: FailureCategory.PermissionDenied);
                case "QpsLimitExceeded":
                    return new MnsException("QueueThrottled", said, code, status, answer.RequestId, transient: true, category: FailureCategory.LimitsExceeded);
            }
            if (status == 403) _tokens.Invalidate(token);
            var transient = status >= 500 || status == 408 && code != "TimeExpired" || status == 429 || answer.Root is null && status >= 200 && status < 300;
            if (code == "TimeExpired")
                return new MnsException("ClockSkew", $"{said} The local clock is probably off by more than 15 minutes; set it right (e.g. enable NTP time sync) and run again.",
                    code, status, answer.RequestId, stopsRun: true, category: FailureCategory.InvalidOperation);
            return new MnsException(transient ? "QueueUnavailable" : "QueueError", said, code, status, answer.RequestId, transient: transient,
                stopsRun: !transient && status != 403, category: transient ? FailureCategory.ResourceUnavailable : FailureCategory.InvalidResult);
        }
    }
}
