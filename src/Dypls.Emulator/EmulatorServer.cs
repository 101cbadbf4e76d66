using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dypls.Emulator;

/// <summary>The emulator on Kestrel. Start it in-process (tests) or through Program (a real process).</summary>
public sealed class EmulatorServer : IAsyncDisposable
{
    private static readonly string[] GetPost = ["GET", "POST"];
    private static readonly string[] GetHead = ["GET", "HEAD"];

    private readonly WebApplication _app;
    private readonly CredentialStore _credentials;

    private EmulatorServer(WebApplication app, Uri baseUri, EmulatorOptions options, EmulatorStats stats, CredentialStore credentials)
    {
        _app = app;
        BaseUri = baseUri;
        Options = options;
        Stats = stats;
        _credentials = credentials;
    }

    /// <summary>e.g. http://127.0.0.1:45123/ (always ends with '/').</summary>
    public Uri BaseUri { get; }

    public EmulatorStats Stats { get; }

    /// <summary>The live options: changing the scalar settings affects the next requests.</summary>
    public EmulatorOptions Options { get; }

    /// <summary>Accepts one more AccessKey (plain or STS) from now on.</summary>
    public void AddAccessKey(EmulatorAccessKey key) => _credentials.Add(key);

    public static async Task<EmulatorServer> StartAsync(EmulatorOptions options, CancellationToken ct = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = Array.Empty<string>() });
        // Stdout belongs to the "Listening on" protocol; ASP.NET logs only with --verbose.
        builder.Logging.ClearProviders();
        if (options.Verbose)
        {
            // Logs go to stderr: Kestrel logs "Now listening on" before our first stdout line would be printed.
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
        }
        // The caller owns the lifetime (Ctrl+C in Program, DisposeAsync in tests), not the console.
        builder.Services.AddSingleton<IHostLifetime, CallerControlledLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(ResolveHost(options.Host), options.Port);
            k.Limits.MaxRequestBodySize = 1024 * 1024;
        });

        var stats = new EmulatorStats();
        var credentials = new CredentialStore();
        if (options.DemoKeys)
        {
            credentials.Add(new EmulatorAccessKey(EmulatorDefaults.DemoAccessKeyId, EmulatorDefaults.DemoAccessKeySecret));
            credentials.Add(new EmulatorAccessKey(EmulatorDefaults.DemoStsAccessKeyId, EmulatorDefaults.DemoStsAccessKeySecret, EmulatorDefaults.DemoStsSecurityToken));
            credentials.Add(new EmulatorAccessKey(EmulatorDefaults.DeniedAccessKeyId, EmulatorDefaults.DeniedAccessKeySecret, Denied: true));
        }
        foreach (var key in options.AccessKeys)
        {
            credentials.Add(key);
        }
        var recordings = new RecordingStore(DateTimeOffset.UtcNow);

        var app = builder.Build();
        // Stalled answers (fault injection) end when the host starts stopping, before Kestrel waits for requests.
        var stopping = app.Lifetime.ApplicationStopping;
        var rpc = new RpcEndpoint(options, stats, new SignatureVerifier(credentials, new NonceCache()), stopping);
        var oss = new OssDownloadEndpoint(options, stats, recordings, stopping);
        var ecs = new EcsMetadataEndpoint(options, stats, credentials);
        var control = new ControlEndpoints(options, stats, recordings);
        app.Use(async (context, next) =>
        {
            stats.RequestStarted();
            try
            {
                if (HttpMethods.IsConnect(context.Request.Method))
                {
                    // A client that uses this emulator as its proxy asks for a tunnel only for https: count it and refuse,
                    // so a test can tell which scheme a client really used for a foreign host.
                    stats.ProxyConnect(context.Request.Host.Value ?? string.Empty);
                    context.Response.StatusCode = 403;
                    return;
                }
                await next(context);
            }
            finally
            {
                stats.RequestEnded();
            }
        });
        app.MapMethods("/", GetPost, rpc.HandleAsync);
        app.MapMethods("/" + EmulatorDefaults.Bucket + "/{**objectName}", GetHead, oss.HandleAsync);
        app.MapGet("/_emulator/stats", control.Stats);
        app.MapPost("/_emulator/reset", control.Reset);
        app.MapGet("/_emulator/recording", control.RecordingAsync);
        app.MapMethods("/_emulator/object/{**objectName}", GetHead, oss.HandleObjectHookAsync);
        app.MapMethods("/_emulator/settings", GetPost, (Func<HttpContext, Task<IResult>>)control.SettingsAsync);
        app.MapPut("/latest/api/token", ecs.IssueTokenAsync);
        app.MapGet("/latest/meta-data/ram/security-credentials/", ecs.ListRolesAsync);
        app.MapGet("/latest/meta-data/ram/security-credentials/{role}", (HttpContext c, string role) => ecs.GetCredentialsAsync(c, role));

        // Anything else (a wrong path, or a request for another host sent here as to a proxy) is a counted 404.
        // "{**path}", not the default "{*path:nonfile}": a path with a dot (x.mp3) must be counted too.
        app.MapFallback("{**path}", (RequestDelegate)(context =>
        {
            stats.UnroutedRequest();
            context.Response.StatusCode = 404;
            return Task.CompletedTask;
        }));

        await app.StartAsync(ct);

        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var bound = new Uri(address);
        // A wildcard bind is reachable on loopback; print an address a client can actually dial.
        var host = bound.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : bound.Host;
        var baseUri = new UriBuilder("http", host, bound.Port, "/").Uri;
        return new EmulatorServer(app, baseUri, options, stats, credentials);
    }

    private static IPAddress ResolveHost(string host)
    {
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            return IPAddress.Loopback;
        }
        if (host is "*" or "+")
        {
            return IPAddress.Any;
        }
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            return address;
        }
        throw new ArgumentException("--host must be an IP address, 'localhost' or '*': " + host);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class CallerControlledLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
