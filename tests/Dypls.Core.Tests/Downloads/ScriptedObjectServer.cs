using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Dypls.Core.Tests.TestServers;

// This file also builds for net472: no span or Memory overloads, no string.Contains(char), no MD5.HashData.
#pragma warning disable CA1835, CA1846, CA1865, CA5351, CA1850, CA1872

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// A download server whose every answer a test scripts: the handler gets the exchange and the request's number (from 0).
/// Every request is logged. <see cref="ServeAsync"/> answers as OSS does (ETag, Range with If-Range, 416 past the end).
/// </summary>
internal sealed class ScriptedObjectServer : IAsyncDisposable
{
    private readonly LoopbackHttpServer _http;
    private readonly ConcurrentQueue<LoopbackRequest> _requests = new();
    private readonly Func<LoopbackContext, int, Task> _script;
    private int _count;

    public ScriptedObjectServer(Func<LoopbackContext, int, Task> script)
    {
        _script = script;
        _http = new LoopbackHttpServer(HandleAsync);
    }

    public Uri BaseUri => _http.BaseUri;

    /// <summary>A signed-looking URL for an object (the query is redacted in messages).</summary>
    public string Url(string objectName, string signature = "s") =>
        new Uri(_http.BaseUri, "b/" + objectName + "?Expires=4102444800&OSSAccessKeyId=k&Signature=" + signature).AbsoluteUri;

    public LoopbackRequest[] Requests => _requests.ToArray();

    public int Count => Volatile.Read(ref _count);

    private Task HandleAsync(LoopbackContext ctx)
    {
        _requests.Enqueue(ctx.Request);
        var n = Interlocked.Increment(ref _count) - 1;
        return _script(ctx, n);
    }

    public ValueTask DisposeAsync() => _http.DisposeAsync();

    public static byte[] Content(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public static string Md5(byte[] bytes)
    {
        using var md5 = MD5.Create();
        return BitConverter.ToString(md5.ComputeHash(bytes)).Replace("-", "").ToLowerInvariant();
    }

    /// <summary>An OSS ETag: the MD5 in upper case, quoted.</summary>
    public static string ETag(byte[] bytes) => "\"" + Md5(bytes).ToUpperInvariant() + "\"";

    /// <summary>The object as OSS serves it: the rest from a Range whose If-Range matches, else the whole; 416 past the end.</summary>
    public static Task ServeAsync(LoopbackContext ctx, byte[] content, string? etag, string? contentType = "audio/mpeg")
    {
        if (etag != null) ctx.Response.Headers["ETag"] = etag;
        ctx.Response.ContentType = contentType;
        var range = ctx.Request.Header("Range");
        var ifRange = ctx.Request.Header("If-Range");
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith("-", StringComparison.Ordinal) && (ifRange.Length == 0 || ifRange == etag))
        {
            var from = int.Parse(range.Substring(6, range.Length - 7), CultureInfo.InvariantCulture);
            if (from >= content.Length)
            {
                ctx.Response.StatusCode = 416;
                ctx.Response.Headers["Content-Range"] = "bytes */" + content.Length.ToString(CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            }
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
            return ctx.Response.WriteAsync(content.Skip(from).ToArray());
        }
        return ctx.Response.WriteAsync(content);
    }

    /// <summary>An OSS error answer.</summary>
    public static Task ErrorAsync(LoopbackContext ctx, int status, string code, string message)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/xml";
        return ctx.Response.WriteAsync($"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>\n  <Code>{code}</Code>\n  <Message>{message}</Message>\n</Error>");
    }

    /// <summary>Sends the head as set in the response, then <paramref name="body"/> raw, then keeps the connection open until the client goes away.</summary>
    public static async Task SendThenHoldAsync(LoopbackContext ctx, byte[] body, TaskCompletionSource<bool>? clientLeft = null)
    {
        var stream = await ctx.TakeOverAsync();
        await stream.WriteAsync(body, 0, body.Length);
        await stream.FlushAsync();
        try { await Task.Delay(TimeSpan.FromSeconds(60), ctx.Aborted); }
        catch (OperationCanceledException) { clientLeft?.TrySetResult(true); }
    }
}

/// <summary>
/// Counts the continuations posted to it. The cmdlets block on the engine's tasks, so the engine must never come back
/// on the caller's context: every continuation posted here is one that a blocked host thread would deadlock on. Runs
/// what is posted on the pool, as the current context, so that a second such await is seen too.
/// </summary>
internal sealed class CountingSyncContext : SynchronizationContext
{
    private int _posts;

    public int Posts => Volatile.Read(ref _posts);

    public override void Post(SendOrPostCallback d, object? state)
    {
        Interlocked.Increment(ref _posts);
        ThreadPool.QueueUserWorkItem(_ =>
        {
            SetSynchronizationContext(this);
            try { d(state); }
            finally { SetSynchronizationContext(null); }
        });
    }

    public override void Send(SendOrPostCallback d, object? state)
    {
        Interlocked.Increment(ref _posts);
        d(state);
    }

    /// <summary>Starts <paramref name="start"/> with this context current, as a host thread would.</summary>
    public Task Start(Func<Task> start) => Start(async () =>
    {
        await start().ConfigureAwait(false); // the test's own await must not count
        return true;
    });

    /// <summary>Starts <paramref name="start"/> with this context current, as a host thread would.</summary>
    public Task<T> Start<T>(Func<Task<T>> start)
    {
        var previous = Current;
        SetSynchronizationContext(this);
        try { return start(); }
        finally { SetSynchronizationContext(previous); }
    }
}
