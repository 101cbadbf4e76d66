using System.Globalization;
using System.Net;
using System.Text.Json;
using Dypls.Emulator;
using Xunit;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

public class EmulatorEcsMetadataTests
{
    private const string Role = "DyplsTestRole";

    private static async Task<string> TokenAsync(EmulatorTestHost host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, "/latest/api/token");
        request.Headers.Add("X-aliyun-ecs-metadata-token-ttl-seconds", "21600");
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<HttpResponseMessage> CredentialsAsync(EmulatorTestHost host, string? token, string role = Role)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/latest/meta-data/ram/security-credentials/" + role);
        if (token is not null)
        {
            request.Headers.Add("X-aliyun-ecs-metadata-token", token);
        }
        return await host.Http.SendAsync(request);
    }

    [Fact]
    public async Task Metadata_flow_mints_sts_credentials_the_api_accepts()
    {
        await using var host = await StartAsync(o => o.EcsRole = Role);
        var token = await TokenAsync(host);
        Assert.False(string.IsNullOrWhiteSpace(token));

        using var listRequest = new HttpRequestMessage(HttpMethod.Get, "/latest/meta-data/ram/security-credentials/");
        listRequest.Headers.Add("X-aliyun-ecs-metadata-token", token);
        using var list = await host.Http.SendAsync(listRequest);
        Assert.Equal(Role, (await list.Content.ReadAsStringAsync()).Trim());

        using var response = await CredentialsAsync(host, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Success", json.GetProperty("Code").GetString());
        var id = json.GetProperty("AccessKeyId").GetString()!;
        var secret = json.GetProperty("AccessKeySecret").GetString()!;
        var sts = json.GetProperty("SecurityToken").GetString()!;
        Assert.StartsWith("STS.", id);
        var expiration = DateTimeOffset.ParseExact(json.GetProperty("Expiration").GetString()!, "yyyy-MM-dd'T'HH:mm:ss'Z'",
            CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange((expiration - DateTimeOffset.UtcNow).TotalMinutes, 55, 61);
        Assert.True(json.TryGetProperty("LastUpdated", out _));

        var ok = await host.CallAsync(accessKeyId: id, accessKeySecret: secret, securityToken: sts);
        Assert.Equal("OK", ok["Code"]);
        var noToken = await host.CallAsync(accessKeyId: id, accessKeySecret: secret);
        Assert.Equal("InvalidSecurityToken.Malformed", noToken["Code"]);

        Assert.Equal(3, (await host.StatsAsync()).GetProperty("metadataRequests").GetInt64());
    }

    [Fact]
    public async Task Expired_role_credentials_are_InvalidSecurityToken_Expired()
    {
        await using var host = await StartAsync(o =>
        {
            o.EcsRole = Role;
            o.EcsCredentialLifetimeSeconds = 1;
        });
        using var response = await CredentialsAsync(host, await TokenAsync(host));
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var result = await host.CallAsync(accessKeyId: json.GetProperty("AccessKeyId").GetString()!,
            accessKeySecret: json.GetProperty("AccessKeySecret").GetString()!, securityToken: json.GetProperty("SecurityToken").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("InvalidSecurityToken.Expired", result["Code"]);
    }

    [Fact]
    public async Task Credentials_need_a_valid_session_token()
    {
        await using var host = await StartAsync(o => o.EcsRole = Role);
        using (var missing = await CredentialsAsync(host, null))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        }
        using (var wrong = await CredentialsAsync(host, "not-a-token"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var otherRole = await CredentialsAsync(host, await TokenAsync(host), "SomeOtherRole"))
        {
            Assert.Equal(HttpStatusCode.NotFound, otherRole.StatusCode);
        }
        using var noTtl = await host.Http.PutAsync("/latest/api/token", null);
        Assert.Equal(HttpStatusCode.BadRequest, noTtl.StatusCode);
    }

    [Fact]
    public async Task Metadata_service_is_off_without_a_role()
    {
        await using var host = await StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Put, "/latest/api/token");
        request.Headers.Add("X-aliyun-ecs-metadata-token-ttl-seconds", "60");
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
