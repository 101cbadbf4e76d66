using System.Globalization;
using System.Net;
using Dypls.Emulator;
using Dypls.Signing;
using Xunit;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

public class EmulatorRpcTests
{
    private const string SignatureMessagePrefix = "Specified signature is not matched with our calculation. server string to sign is:";

    [Theory]
    [InlineData(RpcTransport.Get, "JSON")]
    [InlineData(RpcTransport.PostForm, "JSON")]
    [InlineData(RpcTransport.PostQuery, "JSON")]
    [InlineData(RpcTransport.Get, "XML")]
    [InlineData(RpcTransport.PostForm, "XML")]
    public async Task Valid_call_answers_OK_with_a_signed_download_url(RpcTransport transport, string format)
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(ApiParameters(format: format), transport);

        Assert.True(result.Status == HttpStatusCode.OK, result.ToString());
        Assert.Equal("OK", result["Code"]);
        Assert.Equal("OK", result["Message"]);
        Assert.Matches("^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$", result["RequestId"]);
        if (format == "XML")
        {
            Assert.Equal("QueryRecordFileDownloadUrlResponse", result.Xml!.Root!.Name.LocalName);
            Assert.Equal("text/xml", result.MediaType);
        }
        else
        {
            Assert.Equal("application/json", result.MediaType);
        }

        var url = new Uri(result["DownloadUrl"]!);
        Assert.StartsWith(host.Server.BaseUri + "secret-axb-record-files/FC123456_", url.ToString());
        Assert.EndsWith(".mp3", url.AbsolutePath);
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(url.Query);
        Assert.Equal(EmulatorDefaults.OssAccessKeyId, query["OSSAccessKeyId"].ToString());
        var expires = long.Parse(query["Expires"].ToString(), CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 7190, 7201);
        Assert.False(string.IsNullOrEmpty(query["Signature"].ToString()));
    }

    [Fact]
    public async Task Every_response_carries_a_fresh_request_id()
    {
        await using var host = await StartAsync();
        var a = await host.CallAsync();
        var b = await host.CallAsync(accessKeySecret: "wrong");
        var c = await host.CallAsync();
        Assert.Equal(3, new[] { a["RequestId"], b["RequestId"], c["RequestId"] }.Distinct().Count());
        Assert.Equal(a["RequestId"], a.Headers.GetValues("x-acs-request-id").Single());
    }

    [Theory]
    [InlineData(RpcTransport.Get)]
    [InlineData(RpcTransport.PostForm)]
    public async Task Wrong_secret_gives_SignatureDoesNotMatch_with_the_server_string_to_sign(RpcTransport transport)
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(transport: transport, accessKeySecret: "not-the-secret");

        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("SignatureDoesNotMatch", result["Code"]);
        var expected = RpcSigner.StringToSign(transport == RpcTransport.Get ? "GET" : "POST", result.Sent);
        Assert.Equal(SignatureMessagePrefix + expected, result["Message"]);
        Assert.Equal("dyplsapi.aliyuncs.com", result["HostId"]);
        Assert.Contains("SignatureDoesNotMatch", result["Recommend"]);
        Assert.Equal(1, (await host.StatsAsync()).GetProperty("signatureFailures").GetInt64());
    }

    [Fact]
    public async Task Signature_covers_the_http_method()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(transport: RpcTransport.PostForm, signMethod: "GET");
        Assert.Equal("SignatureDoesNotMatch", result["Code"]);
        Assert.StartsWith(SignatureMessagePrefix + "POST&%2F&", result["Message"]);
    }

    [Fact]
    public async Task Tampered_parameter_breaks_the_signature()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(tamper: p => p["CallId"] = "someone-else");
        Assert.Equal("SignatureDoesNotMatch", result["Code"]);
    }

    [Fact]
    public async Task Gateway_errors_follow_Format_XML()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(ApiParameters(format: "XML"), accessKeySecret: "wrong");
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("Error", result.Xml!.Root!.Name.LocalName);
        foreach (var field in new[] { "Code", "Message", "RequestId", "HostId", "Recommend" })
        {
            Assert.NotNull(result[field]);
        }
        Assert.Equal("SignatureDoesNotMatch", result["Code"]);
    }

    [Fact]
    public async Task Unknown_access_key_is_404_InvalidAccessKeyId_NotFound()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(accessKeyId: "LTAI5tNobodyHere", accessKeySecret: "x");
        Assert.Equal(HttpStatusCode.NotFound, result.Status);
        Assert.Equal("InvalidAccessKeyId.NotFound", result["Code"]);
        Assert.Equal(1, (await host.StatsAsync()).GetProperty("authFailures").GetInt64());
    }

    [Fact]
    public async Task No_demo_keys_means_the_demo_key_is_unknown_but_added_keys_work()
    {
        await using var host = await StartAsync(o =>
        {
            o.DemoKeys = false;
            o.AccessKeys.Add(new EmulatorAccessKey("LTAI5tMine", "MySecret"));
        });
        Assert.Equal("InvalidAccessKeyId.NotFound", (await host.CallAsync())["Code"]);
        Assert.Equal("OK", (await host.CallAsync(accessKeyId: "LTAI5tMine", accessKeySecret: "MySecret"))["Code"]);
        host.Server.AddAccessKey(new EmulatorAccessKey("LTAI5tLater", "LaterSecret"));
        Assert.Equal("OK", (await host.CallAsync(accessKeyId: "LTAI5tLater", accessKeySecret: "LaterSecret"))["Code"]);
    }

    [Fact]
    public async Task Sts_key_needs_its_own_security_token()
    {
        await using var host = await StartAsync();
        var ok = await host.CallAsync(accessKeyId: EmulatorDefaults.DemoStsAccessKeyId, accessKeySecret: EmulatorDefaults.DemoStsAccessKeySecret,
            securityToken: EmulatorDefaults.DemoStsSecurityToken);
        Assert.Equal("OK", ok["Code"]);

        var missing = await host.CallAsync(accessKeyId: EmulatorDefaults.DemoStsAccessKeyId, accessKeySecret: EmulatorDefaults.DemoStsAccessKeySecret);
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Equal("InvalidSecurityToken.Malformed", missing["Code"]);

        var wrong = await host.CallAsync(accessKeyId: EmulatorDefaults.DemoStsAccessKeyId, accessKeySecret: EmulatorDefaults.DemoStsAccessKeySecret,
            securityToken: "SomeOtherToken");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal("InvalidSecurityToken.MismatchWithAccessKey", wrong["Code"]);
    }

    [Fact]
    public async Task Plain_key_sending_a_token_is_accepted()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(securityToken: "ignored-token");
        Assert.Equal("OK", result["Code"]);
    }

    [Theory]
    [InlineData(-20)]
    [InlineData(20)]
    public async Task Timestamp_outside_the_window_is_InvalidTimeStamp_Expired(int minutes)
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(timestamp: DateTimeOffset.UtcNow.AddMinutes(minutes));
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("InvalidTimeStamp.Expired", result["Code"]);
    }

    [Fact]
    public async Task Timestamp_inside_the_window_is_accepted()
    {
        await using var host = await StartAsync();
        Assert.Equal("OK", (await host.CallAsync(timestamp: DateTimeOffset.UtcNow.AddMinutes(-14)))["Code"]);
    }

    [Theory]
    [InlineData("2026-11-25 10:00:00")]
    [InlineData("2026-11-25T10:00:00.000Z")]
    [InlineData("1764064800")]
    public async Task Badly_formatted_timestamp_is_InvalidTimeStamp_Format(string timestamp)
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(tamper: p => p["Timestamp"] = timestamp);
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("InvalidTimeStamp.Format", result["Code"]);
    }

    [Theory]
    [InlineData("AccessKeyId")]
    [InlineData("Signature")]
    [InlineData("SignatureMethod")]
    [InlineData("SignatureVersion")]
    [InlineData("SignatureNonce")]
    [InlineData("Timestamp")]
    public async Task Missing_common_parameter_is_named_in_the_code(string name)
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(tamper: p => p.Remove(name));
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("Missing" + name, result["Code"]);
        Assert.Contains(name, result["Message"]);
    }

    [Theory]
    [InlineData("SignatureMethod", "HMAC-SHA256", "InvalidSignatureMethod")]
    [InlineData("SignatureVersion", "2.0", "InvalidSignatureVersion")]
    public async Task Unsupported_signature_scheme_is_rejected(string name, string value, string code)
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(tamper: p => p[name] = value);
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal(code, result["Code"]);
    }

    [Fact]
    public async Task Reused_nonce_is_SignatureNonceUsed_per_access_key()
    {
        await using var host = await StartAsync();
        var nonce = Guid.NewGuid().ToString("N");
        Assert.Equal("OK", (await host.CallAsync(nonce: nonce))["Code"]);
        var again = await host.CallAsync(nonce: nonce);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("SignatureNonceUsed", again["Code"]);

        var otherKey = await host.CallAsync(accessKeyId: EmulatorDefaults.DemoStsAccessKeyId, accessKeySecret: EmulatorDefaults.DemoStsAccessKeySecret,
            securityToken: EmulatorDefaults.DemoStsSecurityToken, nonce: nonce);
        Assert.Equal("OK", otherKey["Code"]);
    }

    [Fact]
    public async Task Failed_signature_does_not_burn_the_nonce()
    {
        await using var host = await StartAsync();
        var nonce = Guid.NewGuid().ToString("N");
        Assert.Equal("SignatureDoesNotMatch", (await host.CallAsync(nonce: nonce, accessKeySecret: "wrong"))["Code"]);
        Assert.Equal("OK", (await host.CallAsync(nonce: nonce))["Code"]);
    }

    [Fact]
    public async Task Beyond_the_qps_limit_calls_are_Throttling_User_with_retry_after()
    {
        await using var host = await StartAsync(o =>
        {
            o.Qps = 2;
            o.RetryAfterMs = 1500;
        });
        // Bursts of calls at once, until the limiter has said no: on a loaded machine sequential calls may never share a
        // one-second window, but a burst of 6 against a limit of 2 cannot fit in fewer than 3 windows.
        var results = new List<RpcResult>();
        for (var burst = 0; burst < 20 && !results.Any(r => r["Code"] == "Throttling.User"); burst++)
        {
            results.AddRange(await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => host.CallAsync())));
        }
        var throttled = results.Where(r => r["Code"] == "Throttling.User").ToList();
        Assert.NotEmpty(throttled);
        Assert.All(throttled, r =>
        {
            Assert.Equal(HttpStatusCode.BadRequest, r.Status);
            Assert.Equal("Request was denied due to user flow control.", r["Message"]);
            Assert.Equal("1500", r.Headers.GetValues("x-acs-retry-after").Single());
        });
        Assert.Equal(throttled.Count, (await host.StatsAsync()).GetProperty("throttled").GetInt64());
    }

    [Fact]
    public async Task Throttling_sends_no_retry_after_unless_configured()
    {
        await using var host = await StartAsync(o => o.Qps = 1);
        RpcResult? throttled = null;
        for (var burst = 0; burst < 20 && throttled is null; burst++)
        {
            var burstResults = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.CallAsync()));
            throttled = burstResults.FirstOrDefault(r => r["Code"] == "Throttling.User");
        }
        Assert.NotNull(throttled);
        Assert.False(throttled!.Headers.Contains("x-acs-retry-after"));
    }

    [Fact]
    public async Task Unknown_action_is_404_and_wrong_version_is_400()
    {
        await using var host = await StartAsync();
        var p = ApiParameters();
        p["Action"] = "QueryCallStatus";
        var action = await host.CallAsync(p);
        Assert.Equal(HttpStatusCode.NotFound, action.Status);
        Assert.Equal("InvalidAction.NotFound", action["Code"]);

        p = ApiParameters();
        p["Version"] = "2020-01-01";
        var version = await host.CallAsync(p);
        Assert.Equal(HttpStatusCode.BadRequest, version.Status);
        Assert.Equal("InvalidVersion", version["Code"]);
    }

    [Theory]
    [InlineData("PoolKey")]
    [InlineData("CallId")]
    [InlineData("CallTime")]
    public async Task Missing_product_parameter_is_INVALID_PARAMETERS_naming_it(string name)
    {
        await using var host = await StartAsync();
        var p = ApiParameters();
        p.Remove(name);
        var result = await host.CallAsync(p);
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("isv.INVALID_PARAMETERS", result["Code"]);
        Assert.Contains(name, result["Message"]);
        Assert.Null(result["DownloadUrl"]);
    }

    [Theory]
    [InlineData("CallTime", "2026/11/25 10:00:00")]
    [InlineData("CallTime", "2026-11-25T10:00:00Z")]
    [InlineData("CallId", "x")]
    public async Task Malformed_product_parameter_is_INVALID_PARAMETERS(string name, string value)
    {
        await using var host = await StartAsync();
        var p = ApiParameters();
        p[name] = name == "CallId" ? new string('x', 101) : value;
        var result = await host.CallAsync(p);
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("isv.INVALID_PARAMETERS", result["Code"]);
        Assert.Contains(name, result["Message"]);
    }

    [Fact]
    public async Task CallId_of_100_characters_is_fine()
    {
        await using var host = await StartAsync();
        Assert.Equal("OK", (await host.CallAsync(ApiParameters(new string('9', 100))))["Code"]);
    }

    [Fact]
    public async Task Norecord_CallId_and_old_CallTime_have_no_recording()
    {
        await using var host = await StartAsync();
        var norecord = await host.CallAsync(ApiParameters("norecord-123"));
        Assert.Equal(HttpStatusCode.OK, norecord.Status);
        Assert.Equal("isv.RECORD_FILE_NOT_EXIST", norecord["Code"]);
        Assert.Equal("No recording exists for this call. Recordings are kept for 30 days.", norecord["Message"]);

        var p = ApiParameters();
        p["CallTime"] = ChinaTime(DateTimeOffset.UtcNow.AddDays(-31));
        Assert.Equal("isv.RECORD_FILE_NOT_EXIST", (await host.CallAsync(p))["Code"]);

        p["CallTime"] = ChinaTime(DateTimeOffset.UtcNow.AddDays(-29));
        Assert.Equal("OK", (await host.CallAsync(p))["Code"]);
    }

    [Fact]
    public async Task Retention_message_uses_the_configured_days()
    {
        await using var host = await StartAsync(o => o.RetentionDays = 14);
        var p = ApiParameters();
        p["CallTime"] = ChinaTime(DateTimeOffset.UtcNow.AddDays(-15));
        var result = await host.CallAsync(p);
        Assert.Equal("isv.RECORD_FILE_NOT_EXIST", result["Code"]);
        Assert.EndsWith("kept for 14 days.", result["Message"]);
    }

    [Fact]
    public async Task NOPOOL_is_POOLKEY_NOT_EXISTS()
    {
        await using var host = await StartAsync();
        var p = ApiParameters();
        p["PoolKey"] = "NOPOOL";
        var result = await host.CallAsync(p);
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("isv.POOLKEY_NOT_EXISTS", result["Code"]);
    }

    [Fact]
    public async Task Service_unavailable_fault_answers_503()
    {
        await using var host = await StartAsync();
        host.Server.Options.Faults.ServiceUnavailable = true;
        var result = await host.CallAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, result.Status);
        Assert.Equal("ServiceUnavailable", result["Code"]);
    }

    [Fact]
    public async Task Stats_count_requests_and_successes()
    {
        await using var host = await StartAsync();
        await host.CallAsync();
        await host.CallAsync();
        await host.CallAsync(accessKeySecret: "wrong");
        var stats = await host.StatsAsync();
        Assert.Equal(3, stats.GetProperty("apiRequests").GetInt64());
        Assert.Equal(2, stats.GetProperty("apiSucceeded").GetInt64());
        Assert.Equal(1, stats.GetProperty("signatureFailures").GetInt64());
        Assert.True(stats.GetProperty("maxConcurrentRequests").GetInt64() >= 1);
        Assert.True(stats.TryGetProperty("metadataRequests", out _));
    }
}
