using System.Globalization;
using System.Net;
using Dypls.Emulator;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

/// <summary>Dybaseapi QueryTokenForMnsQueue: the gateway's signature check, then a fresh STS key per call in Beijing times.</summary>
public sealed class EmulatorMnsTokenTests
{
    internal static Dictionary<string, string> TokenParameters(string? messageType = "SecretRecording", string? queueName = null)
    {
        var p = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Action"] = EmulatorDefaults.MnsTokenAction,
            ["Version"] = EmulatorDefaults.ApiVersion,
            ["Format"] = "JSON",
        };
        if (messageType is not null) p["MessageType"] = messageType;
        if (queueName is not null) p["QueueName"] = queueName;
        return p;
    }

    private static DateTimeOffset Beijing(string text) =>
        new(DateTime.ParseExact(text, "yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), TimeSpan.FromHours(8));

    [Fact]
    public async Task QueryTokenForMnsQueue_answers_OK_with_a_fresh_STS_key_expiring_after_the_lifetime_in_Beijing_time()
    {
        await using var host = await StartAsync();
        var first = await host.CallAsync(TokenParameters(queueName: EmulatorDefaults.RecordingQueue));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("OK", first["Code"]);
        Assert.Equal("OK", first["Message"]);
        Assert.False(string.IsNullOrEmpty(first["RequestId"]));
        var dto = first.Json!.Value.GetProperty("MessageTokenDTO");
        Assert.StartsWith("STS.", dto.GetProperty("AccessKeyId").GetString());
        Assert.False(string.IsNullOrEmpty(dto.GetProperty("AccessKeySecret").GetString()));
        Assert.False(string.IsNullOrEmpty(dto.GetProperty("SecurityToken").GetString()));
        var created = Beijing(dto.GetProperty("CreateTime").GetString()!);
        var expires = Beijing(dto.GetProperty("ExpireTime").GetString()!);
        // Read as UTC+8, CreateTime is now: a server writing UTC or local time would be hours off.
        Assert.InRange(created - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(-5), TimeSpan.FromSeconds(1));
        Assert.Equal(TimeSpan.FromSeconds(EmulatorDefaults.TokenLifetimeSeconds), expires - created);

        var second = await host.CallAsync(TokenParameters());
        var dto2 = second.Json!.Value.GetProperty("MessageTokenDTO");
        Assert.NotEqual(dto.GetProperty("AccessKeyId").GetString(), dto2.GetProperty("AccessKeyId").GetString());
        Assert.NotEqual(dto.GetProperty("SecurityToken").GetString(), dto2.GetProperty("SecurityToken").GetString());
        Assert.Equal(2, (await host.StatsAsync()).GetProperty("mnsTokens").GetInt64());
    }

    [Fact]
    public async Task The_token_lifetime_is_a_setting()
    {
        await using var host = await StartAsync(o => o.TokenLifetimeSeconds = 42);
        var dto = (await host.CallAsync(TokenParameters())).Json!.Value.GetProperty("MessageTokenDTO");
        Assert.Equal(TimeSpan.FromSeconds(42), Beijing(dto.GetProperty("ExpireTime").GetString()!) - Beijing(dto.GetProperty("CreateTime").GetString()!));
        await host.PatchSettingsAsync("{\"tokenLifetimeSeconds\":7}");
        dto = (await host.CallAsync(TokenParameters())).Json!.Value.GetProperty("MessageTokenDTO");
        Assert.Equal(TimeSpan.FromSeconds(7), Beijing(dto.GetProperty("ExpireTime").GetString()!) - Beijing(dto.GetProperty("CreateTime").GetString()!));
    }

    [Fact]
    public async Task MessageType_is_required()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(TokenParameters(messageType: null));
        Assert.Equal(HttpStatusCode.BadRequest, result.Status);
        Assert.Equal("MissingMessageType", result["Code"]);
        Assert.Equal(0, (await host.StatsAsync()).GetProperty("mnsTokens").GetInt64());
    }

    [Fact]
    public async Task The_signature_is_checked_like_the_gateways()
    {
        await using var host = await StartAsync();
        var wrong = await host.CallAsync(TokenParameters(), accessKeySecret: "not-the-secret");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.Status);
        Assert.Equal("SignatureDoesNotMatch", wrong["Code"]);
        var unknown = await host.CallAsync(TokenParameters(), accessKeyId: "LTAI5tNobody");
        Assert.Equal("InvalidAccessKeyId.NotFound", unknown["Code"]);
        var sts = await host.CallAsync(TokenParameters(), accessKeyId: EmulatorDefaults.DemoStsAccessKeyId,
            accessKeySecret: EmulatorDefaults.DemoStsAccessKeySecret, securityToken: EmulatorDefaults.DemoStsSecurityToken);
        Assert.Equal("OK", sts["Code"]);
        Assert.Equal(1, (await host.StatsAsync()).GetProperty("signatureFailures").GetInt64());
    }

    [Fact]
    public async Task A_key_denied_by_RAM_gets_Forbidden_RAM()
    {
        await using var host = await StartAsync();
        var result = await host.CallAsync(TokenParameters(), accessKeyId: EmulatorDefaults.DeniedAccessKeyId, accessKeySecret: EmulatorDefaults.DeniedAccessKeySecret);
        Assert.Equal(HttpStatusCode.Forbidden, result.Status);
        Assert.Equal("Forbidden.RAM", result["Code"]);
        Assert.Equal("dybaseapi.aliyuncs.com", result["HostId"]);
        Assert.Equal(1, (await host.StatsAsync()).GetProperty("ramDenied").GetInt64());
    }
}
