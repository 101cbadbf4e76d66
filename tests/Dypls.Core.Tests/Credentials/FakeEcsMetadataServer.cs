using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dypls.Core.Tests.Credentials;

/// <summary>
/// Stand-in for the ECS metadata service (100.100.100.200) on 127.0.0.1, random port. Counts requests
/// so tests can prove caching, and checks the IMDSv2 headers like the real one.
/// </summary>
internal sealed class FakeEcsMetadataServer : IAsyncDisposable
{
    public const string SecretValue = "ecsSecretIIIIIIIIIIIIIIIIIIIII";
    public const string StsTokenValue = "ecsTokenJJJJJJJJJJJJJJJJJJJJJJJ";

    private readonly WebApplication _app;
    private int _tokenRequests, _credentialRequests, _credentialRequestsWithoutToken, _tokenGeneration;

    private FakeEcsMetadataServer(WebApplication app, Func<DateTimeOffset> clock)
    {
        _app = app;
        Clock = clock;
    }

    public Uri Endpoint { get; private set; } = null!;
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

    public static async Task<FakeEcsMetadataServer> StartAsync(Func<DateTimeOffset>? clock = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeEcsMetadataServer(app, clock ?? (() => DateTimeOffset.UtcNow));
        app.MapPut("/latest/api/token", server.TokenAsync);
        app.MapGet("/latest/meta-data/ram/security-credentials/{role}", server.CredentialAsync);
        await app.StartAsync();
        server.Endpoint = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return server;
    }

    private async Task TokenAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _tokenRequests);
        await Task.Delay(Delay, ctx.RequestAborted);
        LastTtlHeader = ctx.Request.Headers["X-aliyun-ecs-metadata-token-ttl-seconds"].ToString();
        if (!TokenEndpointAvailable) { ctx.Response.StatusCode = 404; return; }
        if (!int.TryParse(LastTtlHeader, out var ttl) || ttl < 1 || ttl > 21600) { ctx.Response.StatusCode = 400; return; }
        await ctx.Response.WriteAsync(IssuedToken);
    }

    private async Task CredentialAsync(HttpContext ctx)
    {
        Interlocked.Increment(ref _credentialRequests);
        await Task.Delay(Delay + CredentialDelay, ctx.RequestAborted);
        var token = ctx.Request.Headers["X-aliyun-ecs-metadata-token"].ToString();
        if (token.Length == 0)
        {
            Interlocked.Increment(ref _credentialRequestsWithoutToken);
            if (RequireToken) { ctx.Response.StatusCode = 401; return; }
        }
        else if (token != IssuedToken) { ctx.Response.StatusCode = 401; return; }

        if ((string?)ctx.Request.RouteValues["role"] != Role) { ctx.Response.StatusCode = 404; return; }
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

    public async ValueTask DisposeAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(cts.Token); } catch (OperationCanceledException) { }
        await _app.DisposeAsync();
    }
}
