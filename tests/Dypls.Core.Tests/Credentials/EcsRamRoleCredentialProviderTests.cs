using System.Net;
using System.Net.Sockets;
using Dypls.Credentials;
using Xunit;
using static Dypls.Core.Tests.Credentials.CredentialTestHome;
using Env = Dypls.Credentials.CredentialEnvironmentVariables;

namespace Dypls.Core.Tests.Credentials;

[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "_t is disposed in IAsyncLifetime.DisposeAsync, which xunit calls after each test.")]
public sealed class EcsRamRoleCredentialProviderTests : IAsyncLifetime
{
    private readonly CredentialTestHome _t = new();
    private DateTimeOffset _now = new(2026, 11, 25, 8, 0, 0, TimeSpan.Zero);
    private FakeEcsMetadataServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeEcsMetadataServer.StartAsync(() => _now);

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _t.Dispose();
    }

    /// <summary>Through the real chain: ALIBABA_CLOUD_ECS_METADATA names the role, options point at the fake server.</summary>
    private ICredentialProvider Provider(Action<CredentialChainOptions>? configure = null)
    {
        _t.Env[Env.EcsMetadata] = _server.Role;
        var provider = CredentialChain.Resolve(_t.Options(o =>
        {
            o.EcsMetadataEndpoint = _server.Endpoint;
            o.Clock = () => _now;
            o.MetadataTimeout = TimeSpan.FromSeconds(10);
            configure?.Invoke(o);
        }));
        Assert.IsType<EcsRamRoleCredentialProvider>(provider);
        AssertNoSecrets(provider.Description);
        return provider;
    }

    private static async Task<CredentialException> FailsAsync(ICredentialProvider provider, string errorId)
    {
        var ex = await Assert.ThrowsAsync<CredentialException>(() => provider.GetCredentialAsync(CancellationToken.None));
        Assert.Equal(errorId, ex.ErrorId);
        AssertNoSecrets(ex);
        Assert.DoesNotContain(FakeEcsMetadataServer.SecretValue, ex.ToString());
        Assert.DoesNotContain(FakeEcsMetadataServer.StsTokenValue, ex.ToString());
        Assert.DoesNotContain("imdsTokenKKKK", ex.ToString());
        return ex;
    }

    [Fact]
    public async Task Imdsv2_token_is_requested_sent_and_required()
    {
        var provider = Provider();
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.ecsKey0001", c.AccessKeyId);
        Assert.Equal(FakeEcsMetadataServer.SecretValue, c.AccessKeySecret);
        Assert.Equal(FakeEcsMetadataServer.StsTokenValue, c.SecurityToken);
        Assert.Equal(_server.ExpirationFor(_now), c.Expiration);
        Assert.Equal("21600", _server.LastTtlHeader);
        Assert.Equal(1, _server.TokenRequests);
        Assert.Equal(0, _server.CredentialRequestsWithoutToken);
        Assert.Equal("ECS instance RAM role 'my-role'", c.Source);
        AssertNoSecrets(c.ToString());
        Assert.DoesNotContain(FakeEcsMetadataServer.SecretValue, c.ToString());
        Assert.DoesNotContain(FakeEcsMetadataServer.StsTokenValue, provider.Description + c);
    }

    [Fact]
    public async Task Concurrent_callers_share_one_fetch_and_the_credential_is_cached()
    {
        _server.CredentialDelay = TimeSpan.FromMilliseconds(200);
        var provider = Provider();
        var all = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(() => provider.GetCredentialAsync(CancellationToken.None))));
        Assert.All(all, c => Assert.Same(all[0], c));
        Assert.Equal(1, _server.CredentialRequests);
        Assert.Equal(1, _server.TokenRequests);

        _now += TimeSpan.FromMinutes(30);
        Assert.Same(all[0], await provider.GetCredentialAsync(CancellationToken.None));
        Assert.Equal(1, _server.CredentialRequests);
    }

    [Fact]
    public async Task Credential_is_refreshed_when_near_expiry_and_token_when_its_ttl_ends()
    {
        var provider = Provider();
        var first = await provider.GetCredentialAsync(CancellationToken.None);

        // 1 h lifetime: margin is max(3 min, 6 min) = 6 min, so 53 min later it is still fresh.
        _now += TimeSpan.FromMinutes(53);
        Assert.Same(first, await provider.GetCredentialAsync(CancellationToken.None));
        Assert.Equal(1, _server.CredentialRequests);

        _now += TimeSpan.FromMinutes(2); // 5 min left: refresh
        var second = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.NotEqual(first.AccessKeyId, second.AccessKeyId);
        Assert.Equal(2, _server.CredentialRequests);
        Assert.Equal(1, _server.TokenRequests); // the 6 h token is reused

        _now += TimeSpan.FromHours(6); // token and credential both stale
        await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal(3, _server.CredentialRequests);
        Assert.Equal(2, _server.TokenRequests);
    }

    [Fact]
    public async Task Short_lived_credential_uses_the_three_minute_floor()
    {
        _server.CredentialLifetime = TimeSpan.FromMinutes(15); // 10% = 1.5 min < 3 min
        var provider = Provider();
        await provider.GetCredentialAsync(CancellationToken.None);
        _now += TimeSpan.FromMinutes(11.5);
        await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal(1, _server.CredentialRequests);
        _now += TimeSpan.FromMinutes(1);
        await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal(2, _server.CredentialRequests);
    }

    [Fact]
    public async Task Rejected_token_is_replaced_once()
    {
        var provider = Provider();
        await provider.GetCredentialAsync(CancellationToken.None);
        _server.RotateToken();
        _now += TimeSpan.FromMinutes(58);
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.Equal(2, _server.TokenRequests);
        Assert.Equal(3, _server.CredentialRequests); // one 401, one success
        Assert.Equal("STS.ecsKey0003", c.AccessKeyId);
    }

    [Fact]
    public async Task Falls_back_to_imdsv1_when_the_token_endpoint_is_missing()
    {
        _server.TokenEndpointAvailable = false;
        _server.RequireToken = false;
        var c = await Provider().GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.ecsKey0001", c.AccessKeyId);
        Assert.Equal(1, _server.CredentialRequestsWithoutToken);
    }

    [Fact]
    public async Task No_imdsv1_fallback_when_disabled()
    {
        _server.TokenEndpointAvailable = false;
        _server.RequireToken = false;
        _t.Env[Env.ImdsV1Disabled] = "true";
        var provider = Provider();
        Assert.Contains("v1 fallback disabled", provider.Description);
        var ex = await FailsAsync(provider, CredentialErrorIds.CredentialSourceFailed);
        Assert.Contains("ALIBABA_CLOUD_IMDSV1_DISABLED", ex.Message);
        Assert.Contains("HTTP 404", ex.Message);
        Assert.Contains(_server.Endpoint.AbsoluteUri, ex.Message);
        Assert.Contains("'my-role'", ex.Message);
        Assert.Equal(0, _server.CredentialRequests);
    }

    [Fact]
    public async Task Server_down_fails_quickly_and_clearly()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var endpoint = new Uri($"http://127.0.0.1:{port}/");

        var ex = await FailsAsync(Provider(o => o.EcsMetadataEndpoint = endpoint), CredentialErrorIds.CredentialSourceFailed);
        Assert.Contains(endpoint.AbsoluteUri, ex.Message);
        Assert.Contains("'my-role'", ex.Message);
    }

    [Fact]
    public async Task Hanging_server_is_cut_off_by_the_timeout()
    {
        _server.Delay = TimeSpan.FromSeconds(30);
        // The server would answer after 30 s; the message proves the 0.2 s timeout ended the wait (no timing assertion: shared machines are noisy).
        var ex = await FailsAsync(Provider(o => o.MetadataTimeout = TimeSpan.FromMilliseconds(200)), CredentialErrorIds.CredentialSourceFailed);
        Assert.Contains("no answer within 0.2 s", ex.Message);
    }

    [Fact]
    public async Task Cancellation_reaches_the_metadata_call()
    {
        _server.Delay = TimeSpan.FromSeconds(30);
        var provider = Provider(o => o.MetadataTimeout = TimeSpan.FromSeconds(20));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        // The server would answer after 30 s with a credential; a cancellation exception proves the token reached the call.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => provider.GetCredentialAsync(cts.Token));
    }

    [Fact]
    public async Task Unknown_role_is_reported()
    {
        _server.Role = "other-role";
        _t.Env[Env.EcsMetadata] = "my-role";
        // A bound a loaded machine never reaches: this test is about the 404, not the timeout.
        var provider = CredentialChain.Resolve(_t.Options(o => { o.EcsMetadataEndpoint = _server.Endpoint; o.Clock = () => _now; o.MetadataTimeout = TimeSpan.FromSeconds(20); }));
        var ex = await FailsAsync(provider, CredentialErrorIds.CredentialSourceFailed);
        Assert.Contains("HTTP 404", ex.Message);
        Assert.Contains("'my-role'", ex.Message);
    }

    [Theory]
    [InlineData("{\"Code\":\"Failed\",\"AccessKeySecret\":\"ecsSecretIIIIIIIIIIIIIIIIIIIII\"}", "Code is 'Failed'")]
    [InlineData("{\"Code\":\"Success\",\"AccessKeySecret\":\"ecsSecretIIIIIIIIIIIIIIIIIIIII\",", "not valid JSON")]
    [InlineData("{\"Code\":\"Success\",\"AccessKeyId\":\"STS.x\",\"AccessKeySecret\":\"ecsSecretIIIIIIIIIIIIIIIIIIIII\",\"Expiration\":\"2026-11-25T09:00:00Z\"}", "no SecurityToken")]
    [InlineData("{\"Code\":\"Success\",\"AccessKeyId\":\"STS.x\",\"AccessKeySecret\":\"ecsSecretIIIIIIIIIIIIIIIIIIIII\",\"SecurityToken\":\"ecsTokenJJJJJJJJJJJJJJJJJJJJJJJ\",\"Expiration\":\"soon\"}", "Expiration is not a date")]
    public async Task Bad_answers_are_reported_without_their_content(string body, string expected)
    {
        _server.CredentialBody = body;
        var ex = await FailsAsync(Provider(), CredentialErrorIds.CredentialSourceFailed);
        Assert.Contains(expected, ex.Message);
    }

    [Fact]
    public async Task Server_error_is_reported()
    {
        _server.CredentialStatus = 500;
        var ex = await FailsAsync(Provider(), CredentialErrorIds.CredentialSourceFailed);
        Assert.Contains("HTTP 500", ex.Message);
    }

    [Fact]
    public async Task Failed_refresh_keeps_serving_a_still_valid_credential()
    {
        var provider = Provider();
        var first = await provider.GetCredentialAsync(CancellationToken.None);
        _server.CredentialStatus = 500;
        _now += TimeSpan.FromMinutes(57); // in the refresh window, 3 min before expiry
        Assert.Same(first, await provider.GetCredentialAsync(CancellationToken.None));
        Assert.Equal(2, _server.CredentialRequests);
        Assert.Same(first, await provider.GetCredentialAsync(CancellationToken.None)); // no retry storm
        Assert.Equal(2, _server.CredentialRequests);

        _now += TimeSpan.FromMinutes(4); // expired: the failure surfaces
        await FailsAsync(provider, CredentialErrorIds.CredentialSourceFailed);
    }

    [Fact]
    public async Task Ecs_profile_in_cli_file_reaches_the_metadata_service()
    {
        _server.Role = "cli-role";
        _t.WithCliFile();
        var provider = CredentialChain.Resolve(_t.Options(o => { o.ProfileName = "ecs"; o.EcsMetadataEndpoint = _server.Endpoint; o.Clock = () => _now; o.MetadataTimeout = TimeSpan.FromSeconds(20); }));
        var c = await provider.GetCredentialAsync(CancellationToken.None);
        Assert.StartsWith("STS.ecsKey", c.AccessKeyId);
    }

    [Fact]
    public async Task Supplied_handler_is_used_for_metadata_calls()
    {
        using var handler = new CountingHandler(new HttpClientHandler { UseProxy = false });
        var c = await Provider(o => o.MetadataHttpMessageHandler = handler).GetCredentialAsync(CancellationToken.None);
        Assert.Equal("STS.ecsKey0001", c.AccessKeyId);
        Assert.Equal(2, handler.Count);
    }

    private sealed class CountingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public int Count;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Count);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
