using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dypls.Core.Tests.Api;

/// <summary>
/// A real HTTP server on loopback that answers each request from a script of responses, for the
/// failure shapes (5xx, HTML, stalls, retry-after) the client must handle. Success paths and
/// signature checks are tested against the emulator instead.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _script = new();
    public ConcurrentQueue<(DateTimeOffset At, IFormCollection Form)> Requests { get; } = new();

    private ScriptedServer(WebApplication app) { _app = app; }

    public Uri BaseUri { get; private set; } = null!;

    public static async Task<ScriptedServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new ScriptedServer(app);
        app.MapPost("/", async ctx =>
        {
            var form = await ctx.Request.ReadFormAsync();
            server.Requests.Enqueue((DateTimeOffset.UtcNow, form));
            if (server._script.TryDequeue(out var step)) await step(ctx);
            else await Json(200, """{"RequestId":"R-OK","Code":"OK","Message":"OK","DownloadUrl":"http://127.0.0.1/b/o.mp3?Expires=4102444800&OSSAccessKeyId=k&Signature=abc%3D"}""")(ctx);
        });
        await app.StartAsync();
        server.BaseUri = new Uri(app.Urls.First().TrimEnd('/') + "/");
        return server;
    }

    public ScriptedServer Then(Func<HttpContext, Task> step) { _script.Enqueue(step); return this; }

    public static Func<HttpContext, Task> Json(int status, string body, params (string Name, string Value)[] headers) => async ctx =>
    {
        ctx.Response.StatusCode = status;
        foreach (var (n, v) in headers) ctx.Response.Headers[n] = v;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body);
    };

    public static Func<HttpContext, Task> Stall(TimeSpan howLong) => async ctx =>
    {
        try { await Task.Delay(howLong, ctx.RequestAborted); } catch (OperationCanceledException) { }
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
