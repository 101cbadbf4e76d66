using System.Globalization;
using System.Text.Json;
using Dypls.Core.Tests.TestServers;

namespace Dypls.Core.Tests.Credentials;

/// <summary>
/// Stand-in for the ECS metadata service (100.100.100.200) on 127.0.0.1, random port. Counts requests
/// so tests can prove caching, and checks the IMDSv2 headers like the real one. Plain sockets, so it runs on net472 too.
/// </summary>
internal sealed class FakeEcsMetadataServer : IAsyncDisposable
{
    public const string SecretValue = "ecsSecretIIIIIIIIIIIIIIIIIIIII";
    public const string StsTokenValue = "ecsTokenJJJJJJJJJJJJJJJJJJJJJJJ";

    private const string TokenPath = "/latest/api/token";
    private const string CredentialsPath = "/latest/meta-data/ram/security-credentials/";
    private LoopbackHttpServer _server = null!;
    private int _tokenRequests, _credentialRequests, _credentialRequestsWithoutToken, _tokenGeneration;

    private FakeEcsMetadataServer(Func<DateTimeOffset> clock)
    {
        Clock = clock;
    }

    public Uri Endpoint => _server.BaseUri;
    public Func<DateTimeOffset> Clock { get; }
    public string Role { get; set; } = "my-role";
    public bool TokenEndpointAvailable { get; set; } = true;
    public bool RequireToken { get; set; } = true;
    public TimeSpan Delay { get; set; } = TimeSpan.Zero;
    public TimeSpan CredentialDelay { get; set; } = TimeSpan.Zero;
    public TimeSpan CredentialLifetime { get; set; } = TimeSpan.FromHours(1);
    public int CredentialStatus { get; set; } = 200;
    /// <summary>Replaces the JSON answer (for bad-answer tests).</summary>
    public string? CredentialBody { get; set; }
    public string? LastTtlHeader { get; private set; }
    public string IssuedToken => "imdsTokenKKKKKKKKKKKKKKKKKKKKKK" + _tokenGeneration;

    public int TokenRequests => Volatile.Read(ref _tokenRequests);
    public int CredentialRequests => Volatile.Read(ref _credentialRequests);
    public int CredentialRequestsWithoutToken => Volatile.Read(ref _credentialRequestsWithoutToken);

    /// <summary>Invalidates the issued token, as a restarted metadata service would.</summary>
    public void RotateToken() => Interlocked.Increment(ref _tokenGeneration);

    public static Task<FakeEcsMetadataServer> StartAsync(Func<DateTimeOffset>? clock = null)
    {
        var server = new FakeEcsMetadataServer(clock ?? (() => DateTimeOffset.UtcNow));
        server._server = new LoopbackHttpServer(server.RouteAsync);
        return Task.FromResult(server);
    }

    /// <summary>PUT the token, GET a role's credentials; anything else is 404, or 405 for the wrong method, as the real one.</summary>
    private Task RouteAsync(LoopbackContext ctx)
    {
        var path = ctx.Request.Path;
        if (path == TokenPath) return ctx.Request.Method == "PUT" ? TokenAsync(ctx) : Status(ctx, 405);
        if (path.StartsWith(CredentialsPath, StringComparison.Ordinal) && path.Length > CredentialsPath.Length && path.IndexOf('/', CredentialsPath.Length) < 0)
        {
            return ctx.Request.Method == "GET" ? CredentialAsync(ctx, path.Substring(CredentialsPath.Length)) : Status(ctx, 405);
        }
        return Status(ctx, 404);
    }

    private static Task Status(LoopbackContext ctx, int status)
    {
        ctx.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    private async Task TokenAsync(LoopbackContext ctx)
    {
        Interlocked.Increment(ref _tokenRequests);
        await Task.Delay(Delay, ctx.Aborted);
        LastTtlHeader = ctx.Request.Header("X-aliyun-ecs-metadata-token-ttl-seconds");
        if (!TokenEndpointAvailable) { ctx.Response.StatusCode = 404; return; }
        if (!int.TryParse(LastTtlHeader, out var ttl) || ttl < 1 || ttl > 21600) { ctx.Response.StatusCode = 400; return; }
        await ctx.Response.WriteAsync(IssuedToken);
    }

    private async Task CredentialAsync(LoopbackContext ctx, string role)
    {
        Interlocked.Increment(ref _credentialRequests);
        await Task.Delay(Delay + CredentialDelay, ctx.Aborted);
        var token = ctx.Request.Header("X-aliyun-ecs-metadata-token");
        if (token.Length == 0)
        {
            Interlocked.Increment(ref _credentialRequestsWithoutToken);
            if (RequireToken) { ctx.Response.StatusCode = 401; return; }
        }
        else if (token != IssuedToken) { ctx.Response.StatusCode = 401; return; }

        if (role != Role) { ctx.Response.StatusCode = 404; return; }
        if (CredentialStatus != 200) { ctx.Response.StatusCode = CredentialStatus; return; }
        if (CredentialBody != null) { await ctx.Response.WriteAsync(CredentialBody); return; }

        var n = CredentialRequests;
        var json = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["AccessKeyId"] = "STS.ecsKey" + n.ToString("D4", CultureInfo.InvariantCulture),
            ["AccessKeySecret"] = SecretValue,
            ["Expiration"] = ExpirationFor(Clock()).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["SecurityToken"] = StsTokenValue,
            ["LastUpdated"] = Clock().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["Code"] = "Success",
        });
        ctx.Response.ContentType = "text/plain";
        await ctx.Response.WriteAsync(json);
    }

    /// <summary>The Expiration the server gives at that time, to whole seconds, as on the wire.</summary>
    public DateTimeOffset ExpirationFor(DateTimeOffset now)
    {
        var e = (now + CredentialLifetime).ToUniversalTime();
        return new DateTimeOffset(e.Year, e.Month, e.Day, e.Hour, e.Minute, e.Second, TimeSpan.Zero);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
