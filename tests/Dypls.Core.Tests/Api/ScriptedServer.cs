using System.Collections.Concurrent;
using Dypls.Core.Tests.TestServers;

namespace Dypls.Core.Tests.Api;

/// <summary>
/// A real HTTP server on loopback that answers each request from a script of responses, for the
/// failure shapes (5xx, HTML, stalls, retry-after) the client must handle. Success paths and
/// signature checks are tested against the emulator instead. Plain sockets, so it runs on net472 too.
/// </summary>
public sealed class ScriptedServer : IAsyncDisposable
{
    private readonly ConcurrentQueue<Func<LoopbackContext, Task>> _script = new();
    private LoopbackHttpServer _server = null!;

    public ConcurrentQueue<(DateTimeOffset At, FormData Form)> Requests { get; } = new();

    public Uri BaseUri => _server.BaseUri;

    public static Task<ScriptedServer> StartAsync()
    {
        var server = new ScriptedServer();
        server._server = new LoopbackHttpServer(server.HandleAsync);
        return Task.FromResult(server);
    }

    private async Task HandleAsync(LoopbackContext ctx)
    {
        if (ctx.Request.Method != "POST" || ctx.Request.Path != "/")
        {
            ctx.Response.StatusCode = ctx.Request.Path == "/" ? 405 : 404;
            return;
        }
        Requests.Enqueue((DateTimeOffset.UtcNow, ctx.Request.ReadForm()));
        if (_script.TryDequeue(out var step)) await step(ctx);
        else await Json(200, """{"RequestId":"R-OK","Code":"OK","Message":"OK","DownloadUrl":"http://127.0.0.1/b/o.mp3?Expires=4102444800&OSSAccessKeyId=k&Signature=abc%3D"}""")(ctx);
    }

    public ScriptedServer Then(Func<LoopbackContext, Task> step) { _script.Enqueue(step); return this; }

    public static Func<LoopbackContext, Task> Json(int status, string body, params (string Name, string Value)[] headers) => async ctx =>
    {
        ctx.Response.StatusCode = status;
        foreach (var (n, v) in headers) ctx.Response.Headers[n] = v;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(body);
    };

    public static Func<LoopbackContext, Task> Stall(TimeSpan howLong) => async ctx =>
    {
        try { await Task.Delay(howLong, ctx.Aborted); } catch (OperationCanceledException) { }
    };

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
