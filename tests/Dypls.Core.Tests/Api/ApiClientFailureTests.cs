using Dypls.Api;
using Dypls.Credentials;

namespace Dypls.Core.Tests.Api;

public class ApiClientFailureTests
{
    private sealed class Fixed(AccessKeyCredential c) : ICredentialProvider
    {
        public string Description => "test";
        public Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken) => Task.FromResult(c);
    }

    private static DyplsApiClient Client(ScriptedServer s, Action<DyplsClientOptions>? tweak = null, string? token = null)
    {
        var o = new DyplsClientOptions { Endpoint = s.BaseUri, BaseRetryDelay = TimeSpan.FromMilliseconds(5), MaxRetryDelay = TimeSpan.FromMilliseconds(50), RequestTimeout = TimeSpan.FromSeconds(5) };
        tweak?.Invoke(o);
        return new DyplsApiClient(new Fixed(new AccessKeyCredential("LTAItestkey00001", "topsecretvalue", token, "test")), o);
    }

    private static Task<RecordFileUrl> Query(DyplsApiClient c) => c.QueryRecordFileDownloadUrlAsync("c1", "2026-11-25 10:00:00", "FC1", CancellationToken.None);

    [Fact]
    public async Task Success_ReadsUrlRequestIdAndExpires()
    {
        await using var s = await ScriptedServer.StartAsync();
        var r = await Query(Client(s));
        Assert.Equal("R-OK", r.RequestId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(4102444800), r.ExpiresAt);
        Assert.Equal(1, r.Attempts);
        var form = s.Requests.Single().Form;
        Assert.Equal("QueryRecordFileDownloadUrl", form["Action"]);
        Assert.Equal("2017-05-25", form["Version"]);
        Assert.Equal("JSON", form["Format"]);
        Assert.Equal("c1", form["CallId"]);
        Assert.Equal("2026-11-25 10:00:00", form["CallTime"]);
        Assert.Equal("FC1", form["PoolKey"]);
    }

    [Fact]
    public async Task NoExpiresInUrl_UsesResponseTimePlusTwoHours()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(200, """{"RequestId":"R","Code":"OK","Message":"OK","DownloadUrl":"https://x/y.mp3"}"""));
        var before = DateTimeOffset.UtcNow;
        var r = await Query(Client(s));
        Assert.InRange(r.ExpiresAt, before.AddHours(2).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(2).AddSeconds(1));
    }

    [Theory]
    [InlineData(503, """{"Code":"ServiceUnavailable","Message":"busy","RequestId":"R1"}""")]
    [InlineData(500, """{"Code":"InternalError","Message":"oops","RequestId":"R1"}""")]
    [InlineData(400, """{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"R1"}""")]
    [InlineData(200, """{"Code":"isp.SYSTEM_ERROR","Message":"system error","RequestId":"R1"}""")]
    [InlineData(200, """{"Code":"isv.FLOW_LIMIT","Message":"flow","RequestId":"R1"}""")]
    [InlineData(502, "<html>bad gateway</html>")]
    public async Task TransientFailures_AreRetried(int status, string body)
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(status, body)).Then(ScriptedServer.Json(status, body));
        var r = await Query(Client(s));
        Assert.Equal(3, r.Attempts);
        Assert.Equal(3, s.Requests.Count);
        // Each retry is signed afresh: a new nonce every time.
        Assert.Equal(3, s.Requests.Select(x => (string?)x.Form["SignatureNonce"]).Distinct().Count());
    }

    [Fact]
    public async Task TransientFailures_StopAtMaxAttempts_WithCodeAndRequestId()
    {
        await using var s = await ScriptedServer.StartAsync();
        for (var i = 0; i < 30; i++) s.Then(ScriptedServer.Json(400, """{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"R9"}"""));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s, o => o.MaxAttempts = 3)));
        Assert.Equal("Throttled", ex.ErrorId);
        Assert.Equal("Throttling.User", ex.Code);
        Assert.Equal("R9", ex.RequestId);
        Assert.Equal(400, ex.HttpStatus);
        // Throttled attempts get an allowance on top of MaxAttempts: the client paces itself instead of giving up.
        var expected = 3 + DyplsApiClient.ThrottledAttemptsAllowance;
        Assert.Equal(expected, ex.Attempts);
        Assert.Equal(expected, s.Requests.Count);
        Assert.Contains($"Gave up after {expected} attempts", ex.Message);
        Assert.Contains("-ThrottleLimit", ex.Message);
    }

    [Fact]
    public async Task ServerErrors_StopAtMaxAttempts()
    {
        await using var s = await ScriptedServer.StartAsync();
        for (var i = 0; i < 10; i++) s.Then(ScriptedServer.Json(503, """{"Code":"ServiceUnavailable","Message":"busy","RequestId":"R8"}"""));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s, o => o.MaxAttempts = 3)));
        Assert.Equal(3, ex.Attempts);
        Assert.Equal(3, s.Requests.Count);
        Assert.Contains("Gave up after 3 attempts", ex.Message);
    }

    [Fact]
    public async Task Throttling_TurnsOnPacing()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(400, """{"Code":"Throttling.User","Message":"x","RequestId":"R"}"""));
        var c = Client(s);
        Assert.Null(c.PacedRate);
        await Query(c);
        Assert.NotNull(c.PacedRate);
    }

    [Fact]
    public async Task RetryAfterHeader_IsHonoured()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(400, """{"Code":"Throttling.User","Message":"x","RequestId":"R"}""", ("x-acs-retry-after", "700")));
        var r = await Query(Client(s, o => o.MaxRetryDelay = TimeSpan.FromSeconds(2)));
        Assert.Equal(2, r.Attempts);
        var gap = s.Requests.Last().At - s.Requests.First().At;
        Assert.True(gap >= TimeSpan.FromMilliseconds(650), $"retried after {gap.TotalMilliseconds} ms");
    }

    [Theory]
    [InlineData("isv.INVALID_PARAMETERS", "ApiError.isv.INVALID_PARAMETERS")]
    [InlineData("isv.POOLKEY_NOT_EXISTS", "ApiError.isv.POOLKEY_NOT_EXISTS")]
    [InlineData("isv.RECORD_FILE_NOT_EXIST", "RecordingNotAvailable")]
    public async Task PermanentErrors_AreNotRetried(string code, string errorId)
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(200, $$"""{"Code":"{{code}}","Message":"m","RequestId":"R5"}"""));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s)));
        Assert.Equal(errorId, ex.ErrorId);
        Assert.Equal(ApiErrorKind.Permanent, ex.Kind);
        Assert.Equal(code, ex.Code);
        Assert.Single(s.Requests);
        Assert.Contains("R5", ex.Message);
    }

    [Theory]
    [InlineData(403, "Forbidden.RAM")]
    [InlineData(200, "isp.RAM_PERMISSION_DENY")]
    public async Task DeniedActions_StopTheRunWithoutRetry(int status, string code)
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(status, $$"""{"Code":"{{code}}","Message":"User not authorized to operate on the specified resource.","RequestId":"R6"}"""));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s)));
        Assert.Equal("ActionDenied", ex.ErrorId);
        Assert.Equal(ApiErrorKind.ActionDenied, ex.Kind);
        Assert.True(ex.StopsRun);
        Assert.Equal(code, ex.Code);
        Assert.Single(s.Requests);
        Assert.Contains("dypls:QueryRecordFileDownloadUrl", ex.Message);
    }

    [Theory]
    [InlineData(404, "InvalidAccessKeyId.NotFound")]
    [InlineData(400, "InvalidAccessKeyId.Inactive")]
    [InlineData(400, "InvalidSecurityToken.Expired")]
    public async Task AuthenticationFailures_AreNotRetried(int status, string code)
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(status, $$"""{"Code":"{{code}}","Message":"m","RequestId":"R"}"""));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s)));
        Assert.True(ex.IsAuthenticationFailure);
        Assert.Equal("AuthenticationFailed", ex.ErrorId);
        Assert.Single(s.Requests);
        Assert.Contains("LTAI*********001", ex.Message);
    }

    [Fact]
    public async Task SignatureDoesNotMatch_DropsTheServerStringToSign_WhichHoldsTheToken()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(400, """{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&SecurityToken%3Dsts-token-value","RequestId":"R"}"""));
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s, token: "sts-token-value")));
        Assert.DoesNotContain("sts-token-value", ex.Message);
        Assert.DoesNotContain("sts-token-value", ex.ApiMessage);
        Assert.DoesNotContain("topsecretvalue", ex.ToString());
        Assert.Equal("AuthenticationFailed", ex.ErrorId);
    }

    [Fact]
    public async Task NonceUsed_IsResignedOnce()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Json(400, """{"Code":"SignatureNonceUsed","Message":"used","RequestId":"R"}"""));
        var r = await Query(Client(s));
        Assert.Equal(2, r.Attempts);
    }

    [Fact]
    public async Task TimestampExpiredTwice_SaysTheClockIsOff()
    {
        await using var s = await ScriptedServer.StartAsync();
        var expired = ScriptedServer.Json(400, """{"Code":"InvalidTimeStamp.Expired","Message":"Specified time stamp or date value is expired.","RequestId":"R"}""");
        s.Then(expired).Then(expired).Then(expired);
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s, o => o.Clock = () => DateTimeOffset.UtcNow.AddMinutes(-40))));
        Assert.Equal("ClockSkew", ex.ErrorId);
        Assert.Contains("clock", ex.Message);
        Assert.Contains("minutes behind", ex.Message);
        Assert.Equal(2, s.Requests.Count);
    }

    [Fact]
    public async Task StalledServer_TimesOutAndRetries()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Stall(TimeSpan.FromSeconds(30))).Then(ScriptedServer.Stall(TimeSpan.FromSeconds(30)));
        // The server holds each request until the client gives up, so only the client's timeout can end an attempt. The
        // timeout is long enough for a request to reach the server on a loaded machine (the server's count below is the
        // proof that both attempts were sent), and far below the stall.
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(Client(s, o => { o.RequestTimeout = TimeSpan.FromSeconds(2); o.MaxAttempts = 2; })));
        Assert.Equal("RequestTimeout", ex.ErrorId);
        Assert.Equal(2, ex.Attempts);
        Assert.Equal(2, s.Requests.Count);
    }

    [Fact]
    public async Task Cancellation_StopsWaitingAtOnce()
    {
        await using var s = await ScriptedServer.StartAsync();
        s.Then(ScriptedServer.Stall(TimeSpan.FromSeconds(30)));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var c = Client(s, o => o.RequestTimeout = TimeSpan.FromSeconds(20));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => c.QueryRecordFileDownloadUrlAsync("c", "2026-11-25 10:00:00", "FC1", cts.Token));
    }

    [Fact]
    public async Task ConnectionRefused_IsANetworkError()
    {
        var o = new DyplsClientOptions { Endpoint = new Uri("http://127.0.0.1:9/"), MaxAttempts = 2, BaseRetryDelay = TimeSpan.FromMilliseconds(1) };
        var c = new DyplsApiClient(new Fixed(new AccessKeyCredential("LTAItestkey00001", "s", null, "t")), o);
        var ex = await Assert.ThrowsAsync<DyplsApiException>(() => Query(c));
        Assert.Equal("NetworkError", ex.ErrorId);
        Assert.Equal(ApiErrorKind.Transient, ex.Kind);
    }

    [Theory]
    [InlineData("http://dyplsapi.aliyuncs.com/", "InsecureEndpoint")]
    [InlineData("ftp://127.0.0.1/", "InvalidEndpoint")]
    public void Endpoint_Policy(string endpoint, string errorId)
    {
        var ex = Assert.Throws<DyplsException>(() => EndpointPolicy.Validate(new Uri(endpoint)));
        Assert.Equal(errorId, ex.ErrorId);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/")]
    [InlineData("http://localhost:1/")]
    [InlineData("http://[::1]:5000/")]
    [InlineData("https://dyplsapi.aliyuncs.com/")]
    public void Endpoint_Allowed(string endpoint)
    {
        Assert.NotNull(EndpointPolicy.Validate(new Uri(endpoint)));
    }

    [Fact]
    public void Backoff_GrowsAndIsBounded()
    {
        var c = new DyplsApiClient(new Fixed(new AccessKeyCredential("id123456789", "s", null, "t")),
            new DyplsClientOptions { BaseRetryDelay = TimeSpan.FromMilliseconds(100), MaxRetryDelay = TimeSpan.FromSeconds(1) });
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(c.BackoffDelay(1, null).TotalMilliseconds, 0, 100);
            Assert.InRange(c.BackoffDelay(3, null).TotalMilliseconds, 0, 400);
            Assert.InRange(c.BackoffDelay(10, null).TotalMilliseconds, 0, 1000);
            Assert.InRange(c.BackoffDelay(2, TimeSpan.FromMilliseconds(500)).TotalMilliseconds, 500, 1000);
        }
    }
}
