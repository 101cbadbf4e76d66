using Dypls.Api;
using Dypls.Credentials;
using Dypls.Emulator;
using Xunit;

namespace Dypls.Emulator.Tests;

/// <summary>The emulator's STS, driven by Dypls's own STS client: sessions the Dyplsapi endpoint accepts, and the documented errors.</summary>
public sealed class EmulatorStsTests : IAsyncLifetime
{
    private EmulatorTestHost _host = null!;

    public async Task InitializeAsync() => _host = await EmulatorTestHost.StartAsync(o => o.StsSessionSeconds = 4);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private StsClient Sts => new(_host.Server.BaseUri) { MaxAttempts = 1 };

    private static AccessKeyCredential Demo => new(EmulatorDefaults.DemoAccessKeyId, EmulatorDefaults.DemoAccessKeySecret, null, "demo");

    private static StsRoleRequest Role(string arn = EmulatorDefaults.DemoRoleArn, string session = "xunit") => new(arn, session, 3600);

    private async Task<bool> ApiAcceptsAsync(AccessKeyCredential c)
    {
        var client = new DyplsApiClient(new StaticCredentialProvider(c, "test"), new DyplsClientOptions { Endpoint = _host.Server.BaseUri, MaxAttempts = 1 });
        try
        {
            await client.QueryRecordFileDownloadUrlAsync("sts-call", EmulatorTestHost.ChinaTime(DateTimeOffset.UtcNow.AddMinutes(-5)), "FC1", CancellationToken.None);
            return true;
        }
        catch (DyplsApiException ex) when (ex.ErrorId == "AuthenticationFailed")
        {
            return false;
        }
    }

    [Fact]
    public async Task AssumeRole_issues_short_sessions_that_the_api_accepts_until_they_expire()
    {
        var session = await Sts.AssumeRoleAsync(Demo, Role(), "test", CancellationToken.None);
        Assert.StartsWith("STS.", session.AccessKeyId);
        Assert.NotNull(session.SecurityToken);
        // Whole seconds, as STS writes Expiration: 3 to 4 s from the request, less the time the answer took.
        Assert.InRange(session.Expiration!.Value - DateTimeOffset.UtcNow, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4.5));
        Assert.True(await ApiAcceptsAsync(session));
        // The session signs another AssumeRole (a chained role).
        var chained = await Sts.AssumeRoleAsync(session, Role(session: "chained"), "test", CancellationToken.None);
        Assert.True(await ApiAcceptsAsync(chained));
        var left = session.Expiration!.Value - DateTimeOffset.UtcNow;
        await Task.Delay(left + TimeSpan.FromSeconds(1.5));
        Assert.False(await ApiAcceptsAsync(session));
        var stats = _host.Server.Stats;
        Assert.Equal(2, stats.StsAssumeRole);
        Assert.Equal(2, stats.StsIssued);
    }

    [Fact]
    public async Task AssumeRoleWithOIDC_checks_the_provider_and_the_token()
    {
        var session = await Sts.AssumeRoleWithOidcAsync(EmulatorDefaults.DemoOidcProviderArn, EmulatorDefaults.DemoOidcToken, Role(), "test", CancellationToken.None);
        Assert.True(await ApiAcceptsAsync(session));
        var bad = await Assert.ThrowsAsync<CredentialException>(() => Sts.AssumeRoleWithOidcAsync(EmulatorDefaults.DemoOidcProviderArn, "not-the-token", Role(), "test", CancellationToken.None));
        Assert.Contains("AuthenticationFail.OIDCToken.Invalid", bad.Message);
        Assert.DoesNotContain("not-the-token", bad.Message);
        var provider = await Assert.ThrowsAsync<CredentialException>(() => Sts.AssumeRoleWithOidcAsync("acs:ram::1:oidc-provider/x", EmulatorDefaults.DemoOidcToken, Role(), "test", CancellationToken.None));
        Assert.Contains("EntityNotExist.OIDCProvider", provider.Message);
        Assert.Equal(1, _host.Server.Stats.StsAssumeRoleWithOidc);
    }

    [Theory]
    [InlineData("acs:ram::1234567890123456:role/nope", "xunit", "EntityNotExist.Role")]
    [InlineData(EmulatorDefaults.DemoDeniedRoleArn, "xunit", "NoPermission")]
    [InlineData(EmulatorDefaults.DemoRoleArn, "bad name!", "InvalidParameter.RoleSessionName")]
    [InlineData("not-an-arn", "xunit", "InvalidParameter.RoleArn")]
    public async Task AssumeRole_answers_the_documented_errors(string arn, string session, string code)
    {
        var ex = await Assert.ThrowsAsync<CredentialException>(() => Sts.AssumeRoleAsync(Demo, Role(arn, session), "test", CancellationToken.None));
        Assert.Equal(CredentialErrorIds.CredentialSourceFailed, ex.ErrorId);
        Assert.Contains("STS code " + code, ex.Message);
        Assert.Equal(1, _host.Server.Stats.StsFailures);
    }

    [Fact]
    public async Task AssumeRole_with_a_wrong_secret_is_SignatureDoesNotMatch_and_never_quotes_the_string_to_sign()
    {
        var wrong = new AccessKeyCredential(EmulatorDefaults.DemoAccessKeyId, "wrong-secret", null, "demo");
        var ex = await Assert.ThrowsAsync<CredentialException>(() => Sts.AssumeRoleAsync(wrong, Role(), "test", CancellationToken.None));
        Assert.Contains("SignatureDoesNotMatch", ex.Message);
        Assert.DoesNotContain("AccessKeyId%3D", ex.Message);
        Assert.Equal(1, _host.Server.Stats.SignatureFailures);
    }

    [Fact]
    public async Task Throttled_sts_is_retried_then_reported()
    {
        _host.Server.Options.StsThrottle = true;
        var sts = new StsClient(_host.Server.BaseUri);
        var ex = await Assert.ThrowsAsync<CredentialException>(() => sts.AssumeRoleAsync(Demo, Role(), "test", CancellationToken.None));
        Assert.Contains("Throttling.User", ex.Message);
        Assert.Equal(3, _host.Server.Stats.StsRequests);
        Assert.Equal(3, _host.Server.Stats.Throttled);
    }
}
