using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
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
    private static readonly string[] MnsMethods = ["GET", "DELETE", "PUT"];

    private readonly WebApplication _app;
    private readonly CredentialStore _credentials;

    private EmulatorServer(WebApplication app, Uri baseUri, Uri? httpsBaseUri, string? certificateFile, EmulatorOptions options, EmulatorStats stats, CredentialStore credentials)
    {
        _app = app;
        BaseUri = baseUri;
        HttpsBaseUri = httpsBaseUri;
        CertificateFile = certificateFile;
        Options = options;
        Stats = stats;
        _credentials = credentials;
    }

    /// <summary>e.g. http://127.0.0.1:45123/ (always ends with '/').</summary>
    public Uri BaseUri { get; }

    public EmulatorStats Stats { get; }

    /// <summary>The HTTPS address (same endpoints) when <see cref="EmulatorOptions.HttpsPort"/> is set; null otherwise.</summary>
    public Uri? HttpsBaseUri { get; }

    /// <summary>The PEM file of the self-signed certificate HTTPS uses; null without HTTPS.</summary>
    public string? CertificateFile { get; }

    /// <summary>The STS keys minted so far (ECS role, STS, credentials URI).</summary>
    public IReadOnlyList<EmulatorAccessKey> MintedKeys => _credentials.Minted;

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
        X509Certificate2? certificate = null;
        string? certificateFile = null;
        if (options.HttpsPort is not null)
        {
            certificate = CreateCertificate();
            certificateFile = options.HttpsCertificateFile ?? Path.Combine(Path.GetTempPath(), "dypls-emulator-" + Environment.ProcessId + ".pem");
            File.WriteAllText(certificateFile, certificate.ExportCertificatePem() + "\n");
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(ResolveHost(options.Host), options.Port);
            if (certificate is not null)
            {
                k.Listen(ResolveHost(options.Host), options.HttpsPort!.Value, listen => listen.UseHttps(certificate));
            }
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
        var recordings = new RecordingCatalog(DateTimeOffset.UtcNow);

        var app = builder.Build();
        // Stalled answers (fault injection) end when the host starts stopping, before Kestrel waits for requests.
        var stopping = app.Lifetime.ApplicationStopping;
        var verifier = new SignatureVerifier(credentials, new NonceCache());
        var served = new ServedRecordings();
        var callTimes = new ReceiptCallTimes();
        var rpc = new RpcEndpoint(options, stats, verifier, stopping, callTimes);
        var sts = new StsEndpoint(options, stats, credentials, verifier);
        var mnsTokens = new MnsTokenStore();
        var mnsToken = new MnsTokenEndpoint(options, stats, verifier, mnsTokens);
        var receipts = new ReceiptEnqueuer(options, callTimes);
        var queues = new MnsQueueRegistry(receipts.Prefill);
        queues.Reset();
        var mns = new MnsEndpoint(options, stats, mnsTokens, queues, served, stopping);
        var oss = new OssDownloadEndpoint(options, stats, recordings, stopping, served);
        var ecs = new EcsMetadataEndpoint(options, stats, credentials, stopping);
        var control = new ControlEndpoints(options, stats, recordings, credentials, queues, receipts, callTimes, served);
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
        // One address for the Dyplsapi gateway, Dybaseapi's token call and STS, as on Alibaba Cloud each is "/" on its host: the Action decides.
        app.MapMethods("/", GetPost, async (HttpContext context) =>
        {
            var parameters = await RpcEndpoint.ReadParametersAsync(context.Request, context.RequestAborted);
            if (StsEndpoint.Handles(parameters))
            {
                await sts.HandleAsync(context, parameters);
            }
            else if (MnsTokenEndpoint.Handles(parameters))
            {
                await mnsToken.HandleAsync(context, parameters);
            }
            else
            {
                await rpc.HandleAsync(context, parameters);
            }
        });
        app.MapGet(EmulatorDefaults.CredentialsUriPath, sts.CredentialsUriAsync);
        // The MNS queue API shares the port: its own paths, its own signature (see MnsEndpoint).
        app.MapMethods("/queues/{queue}/messages", MnsMethods, mns.HandleAsync);
        app.MapGet("/_emulator/sts-keys", control.StsKeys);
        // The queue tokens minted so far, secrets included, so a test can search its logs for them.
        app.MapGet("/_emulator/mns-tokens", () => Results.Json(mnsTokens.All.Select(t => new { accessKeyId = t.AccessKeyId, accessKeySecret = t.AccessKeySecret, securityToken = t.SecurityToken })));
        app.MapMethods("/" + EmulatorDefaults.Bucket + "/{**objectName}", GetHead, oss.HandleAsync);
        app.MapGet("/_emulator/stats", control.Stats);
        app.MapPost("/_emulator/reset", control.Reset);
        app.MapGet("/_emulator/recording", control.RecordingAsync);
        app.MapMethods("/_emulator/object/{**objectName}", GetHead, oss.HandleObjectHookAsync);
        app.MapGet("/_emulator/queues", control.QueueNames);
        app.MapGet("/_emulator/queues/{name}", (string name) => control.Queue(name));
        app.MapPost("/_emulator/queues/{name}", (HttpContext c, string name) => control.EnqueueAsync(c, name));
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

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a)).ToList();
        var baseUri = Dialable(addresses.First(a => a.Scheme == Uri.UriSchemeHttp));
        var httpsUri = certificate is null ? null : Dialable(addresses.First(a => a.Scheme == Uri.UriSchemeHttps));
        return new EmulatorServer(app, baseUri, httpsUri, certificateFile, options, stats, credentials);
    }

    // A wildcard bind is reachable on loopback; give an address a client can actually dial.
    private static Uri Dialable(Uri bound)
    {
        var host = bound.Host is "0.0.0.0" or "[::]" or "::" ? "127.0.0.1" : bound.Host;
        return new UriBuilder(bound.Scheme, host, bound.Port, "/").Uri;
    }

    /// <summary>A self-signed certificate for 127.0.0.1, ::1 and localhost, valid for a week from an hour ago.</summary>
    private static X509Certificate2 CreateCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Dypls emulator", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7));
        // Re-imported from PFX so that Windows' TLS stack can use the private key too.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pfx), null);
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
