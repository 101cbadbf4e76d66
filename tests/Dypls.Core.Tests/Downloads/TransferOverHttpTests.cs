using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Dypls.Downloads;
using Dypls.Http;

// This file also builds for net472: no span or Memory overloads, no Convert.ToHexStringLower.
#pragma warning disable CA1835, CA1872

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// One GET of a recording (<see cref="RecordingTransfer"/>) against a scripted server: what it asks for, how it reads each
/// answer, and how every failure becomes a <see cref="TransferFailedException"/> the saver can act on.
/// </summary>
public sealed class TransferOverHttpTests
{
    private static readonly byte[] Object = ScriptedObjectServer.Content(5000, 1);
    private static readonly string ObjectETag = ScriptedObjectServer.ETag(Object);

    private static RecordingTransfer Transfer(double idleSeconds = 5, int bufferSize = 1024) =>
        new(SharedHttpClient.Get(TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(idleSeconds), bufferSize);

    private static Uri Url(ScriptedObjectServer server) => new(server.Url("obj.mp3"));

    private static async Task<(byte[] Bytes, string Md5, long Reported, int Calls)> CopyAllAsync(TransferResponse response, Stream? destination = null)
    {
        var target = destination ?? new MemoryStream();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        long reported = 0;
        var calls = 0;
        await response.CopyToAsync(target, md5, n => { reported += n; calls++; }, CancellationToken.None);
        var hex = BitConverter.ToString(md5.GetHashAndReset()).Replace("-", "").ToLowerInvariant();
        return ((target as MemoryStream)?.ToArray() ?? [], hex, reported, calls);
    }

    [Fact]
    public async Task A_whole_object_is_read_with_its_length_validator_type_and_MD5()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        using var response = await Transfer().OpenAsync(Url(server), 0, "\"ignored without a range\"", CancellationToken.None);

        Assert.Equal(TransferKind.Whole, response.Kind);
        Assert.Equal(Object.Length, response.Total);
        Assert.Equal(ObjectETag, response.ETag);
        Assert.Equal("audio/mpeg", response.MediaType);
        var (bytes, md5, reported, calls) = await CopyAllAsync(response);
        Assert.Equal(Object, bytes);
        Assert.Equal(ScriptedObjectServer.Md5(Object), md5);
        Assert.Equal(Object.Length, reported);
        Assert.True(calls >= 5, $"a 1 KB buffer reported {calls} blocks of a 5000-byte body");
        var request = Assert.Single(server.Requests);
        Assert.False(request.Headers.ContainsKey("Range"));
        Assert.False(request.Headers.ContainsKey("If-Range"));
    }

    [Fact]
    public async Task A_resume_asks_for_the_rest_guarded_by_the_validator_and_gets_the_tail()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        using var response = await Transfer().OpenAsync(Url(server), 1200, ObjectETag, CancellationToken.None);

        Assert.Equal(TransferKind.Rest, response.Kind);
        Assert.Equal(Object.Length, response.Total);
        var (bytes, _, reported, _) = await CopyAllAsync(response);
        Assert.Equal(Object.Skip(1200).ToArray(), bytes);
        Assert.Equal(Object.Length - 1200, reported);
        var request = Assert.Single(server.Requests);
        Assert.Equal("bytes=1200-", request.Header("Range"));
        Assert.Equal(ObjectETag, request.Header("If-Range"));
    }

    [Fact]
    public async Task A_resume_without_a_validator_sends_no_If_Range()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        using var response = await Transfer().OpenAsync(Url(server), 10, null, CancellationToken.None);
        Assert.Equal(TransferKind.Rest, response.Kind);
        var request = Assert.Single(server.Requests);
        Assert.Equal("bytes=10-", request.Header("Range"));
        Assert.False(request.Headers.ContainsKey("If-Range"));
    }

    [Fact]
    public async Task An_object_that_changed_comes_back_whole_on_a_resume()
    {
        var changed = ScriptedObjectServer.Content(3000, 2);
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, changed, ScriptedObjectServer.ETag(changed)));
        using var response = await Transfer().OpenAsync(Url(server), 1200, ObjectETag, CancellationToken.None);
        Assert.Equal(TransferKind.Whole, response.Kind);
        Assert.Equal(changed.Length, response.Total);
        Assert.Equal(changed, (await CopyAllAsync(response)).Bytes);
    }

    [Fact]
    public async Task A_416_on_a_resume_means_nothing_is_left_and_the_length_stays_unknown()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        using var response = await Transfer().OpenAsync(Url(server), Object.Length, ObjectETag, CancellationToken.None);
        Assert.Equal(TransferKind.NothingLeft, response.Kind);
        Assert.Equal(-1, response.Total);
    }

    [Fact]
    public async Task A_416_to_a_plain_GET_is_a_failure_not_nothing_left()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => { ctx.Response.StatusCode = 416; return Task.CompletedTask; });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None));
        Assert.Equal("DownloadFailed", f.ErrorId);
        Assert.Equal("the download server answered HTTP 416.", f.Message);
        Assert.False(f.Transient);
        Assert.False(f.AccessDenied);
    }

    [Fact]
    public async Task A_body_without_a_length_is_read_to_the_end_and_its_total_is_unknown()
    {
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.ContentType = "audio/wav";
            var stream = await ctx.TakeOverAsync(); // no Content-Length: the body ends when the connection closes
            await stream.WriteAsync(Object, 0, Object.Length);
        });
        using var response = await Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None);
        Assert.Equal(TransferKind.Whole, response.Kind);
        Assert.Equal(-1, response.Total);
        Assert.Null(response.ETag);
        Assert.Equal("audio/wav", response.MediaType);
        Assert.Equal(Object, (await CopyAllAsync(response)).Bytes);
    }

    [Theory]
    [InlineData("bytes 0-4999/5000")] // the whole object as a 206
    [InlineData("bytes 1000-4999/5000")] // another offset
    [InlineData("bytes 1200-4999/*")] // the right offset, but no full length
    public async Task A_206_for_another_range_than_asked_starts_over(string contentRange)
    {
        await using var server = new ScriptedObjectServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers["Content-Range"] = contentRange;
            return ctx.Response.WriteAsync(new byte[3800]);
        });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer().OpenAsync(Url(server), 1200, ObjectETag, CancellationToken.None));
        Assert.Equal("DownloadRangeMismatch", f.ErrorId);
        Assert.Equal("the server answered a different range than asked for; starting over.", f.Message);
        Assert.True(f.Transient);
        Assert.True(f.Restart);
    }

    [Fact]
    public async Task A_refused_answer_lets_go_of_its_connection()
    {
        // A 206 for the wrong range whose body never ends: unless the response is disposed, the connection stays open.
        var left = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers["Content-Range"] = "bytes 0-99999/100000";
            ctx.Response.Headers["Content-Length"] = "100000";
            return ScriptedObjectServer.SendThenHoldAsync(ctx, new byte[100], left);
        });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer(idleSeconds: 60).OpenAsync(Url(server), 1200, ObjectETag, CancellationToken.None));
        Assert.Equal("DownloadRangeMismatch", f.ErrorId);
        Assert.True(await Task.WhenAny(left.Task, Task.Delay(TimeSpan.FromSeconds(30))) == left.Task, "the connection of the refused answer was never closed");
    }

    [Fact]
    public async Task Disposing_an_open_transfer_closes_its_connection()
    {
        var left = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer((ctx, _) =>
        {
            ctx.Response.Headers["Content-Length"] = "100000";
            return ScriptedObjectServer.SendThenHoldAsync(ctx, new byte[100], left);
        });
        var response = await Transfer(idleSeconds: 60).OpenAsync(Url(server), 0, null, CancellationToken.None);
        Assert.Equal(100000, response.Total);
        response.Dispose();
        Assert.True(await Task.WhenAny(left.Task, Task.Delay(TimeSpan.FromSeconds(30))) == left.Task, "disposing the transfer left its connection open");
    }

    [Theory]
    [InlineData(403, "AccessDenied", "Request has expired.", "DownloadAccessDenied", "the download server refused the URL (HTTP 403, AccessDenied).", false, true, true)]
    [InlineData(403, "AccessDenied", "You have no right to access this object.", "DownloadAccessDenied", "the download server refused the URL (HTTP 403, AccessDenied).", false, true, false)]
    [InlineData(404, "NoSuchKey", "The specified key does not exist.", "RecordingNotAvailable", "the recording file is not on the download server (HTTP 404, NoSuchKey). Recordings are kept only for the retention window (14 days on the product page, 30 days in current docs).", false, false, false)]
    [InlineData(500, "InternalError", "We encountered an internal error.", "DownloadServerError", "the download server answered HTTP 500, InternalError.", true, false, false)]
    [InlineData(503, "ServiceUnavailable", "Please reduce your request rate.", "DownloadServerError", "the download server answered HTTP 503, ServiceUnavailable.", true, false, false)]
    [InlineData(408, "RequestTimeout", "Your socket connection to the server was not read from or written to within the timeout period.", "DownloadServerError", "the download server answered HTTP 408, RequestTimeout.", true, false, false)]
    [InlineData(429, "Throttling", "Rate exceeded.", "DownloadServerError", "the download server answered HTTP 429, Throttling.", true, false, false)]
    [InlineData(400, "InvalidArgument", "Bad signature version.", "DownloadFailed", "the download server answered HTTP 400, InvalidArgument.", false, false, false)]
    public async Task An_error_answer_becomes_a_failure_the_saver_can_act_on(int status, string code, string text, string errorId, string message, bool transient, bool accessDenied, bool expired)
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ErrorAsync(ctx, status, code, text));
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None));
        Assert.Equal(errorId, f.ErrorId);
        Assert.Equal(message, f.Message);
        Assert.Equal(transient, f.Transient);
        Assert.Equal(accessDenied, f.AccessDenied);
        Assert.Equal(expired, f.Expired);
        Assert.False(f.Restart);
    }

    [Theory]
    [InlineData(403, "", "the download server refused the URL (HTTP 403).", false)]
    [InlineData(403, "expired", "the download server refused the URL (HTTP 403).", true)]
    [InlineData(403, "<Code>Bad Code!</Code> EXPIRED", "the download server refused the URL (HTTP 403).", true)]
    [InlineData(502, "<html>Bad Gateway</html>", "the download server answered HTTP 502.", false)]
    public async Task An_error_body_without_an_OSS_code_is_named_by_its_status_alone(int status, string body, string message, bool expired)
    {
        await using var server = new ScriptedObjectServer((ctx, _) =>
        {
            ctx.Response.StatusCode = status;
            return ctx.Response.WriteAsync(body);
        });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None));
        Assert.Equal(message, f.Message);
        Assert.Equal(expired, f.Expired);
    }

    [Fact]
    public async Task An_error_body_that_stalls_does_not_hold_the_answer_up()
    {
        await using var server = new ScriptedObjectServer((ctx, _) =>
        {
            ctx.Response.StatusCode = 503;
            ctx.Response.Headers["Content-Length"] = "1000";
            return ScriptedObjectServer.SendThenHoldAsync(ctx, System.Text.Encoding.UTF8.GetBytes("<Error><Code>Slow"));
        });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer(idleSeconds: 1).OpenAsync(Url(server), 0, null, CancellationToken.None));
        Assert.Equal("DownloadServerError", f.ErrorId);
        Assert.Equal("the download server answered HTTP 503.", f.Message);
    }

    [Fact]
    public async Task An_error_body_cut_off_still_gives_the_status()
    {
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.StatusCode = 404;
            ctx.Response.Headers["Content-Length"] = "1000";
            var stream = await ctx.TakeOverAsync();
            var part = System.Text.Encoding.UTF8.GetBytes("<Error><Code>NoSuchKey</Code>");
            await stream.WriteAsync(part, 0, part.Length);
        });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None));
        Assert.Equal("RecordingNotAvailable", f.ErrorId);
        Assert.StartsWith("the recording file is not on the download server (HTTP 404", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_a_stall()
    {
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            try { await Task.Delay(TimeSpan.FromSeconds(60), ctx.Aborted); } catch (OperationCanceledException) { }
        });
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer(idleSeconds: 1).OpenAsync(Url(server), 0, null, CancellationToken.None));
        Assert.Equal("DownloadStalled", f.ErrorId);
        Assert.Equal("the download server did not answer within 1 s.", f.Message);
        Assert.True(f.Transient);
        Assert.False(f.Restart);
    }

    [Fact]
    public async Task Cancelling_while_waiting_for_the_answer_is_a_cancellation_not_a_stall()
    {
        var arrived = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            arrived.TrySetResult(true);
            try { await Task.Delay(TimeSpan.FromSeconds(60), ctx.Aborted); } catch (OperationCanceledException) { }
        });
        using var cts = new CancellationTokenSource();
        var open = Transfer(idleSeconds: 60).OpenAsync(Url(server), 0, null, cts.Token);
        await arrived.Task;
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => open);
    }

    [Fact]
    public async Task A_refused_connection_is_a_network_error_worth_retrying()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        var url = new Uri("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture) + "/b/obj.mp3");
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => Transfer().OpenAsync(url, 0, null, CancellationToken.None));
        Assert.Equal("DownloadNetworkError", f.ErrorId);
        Assert.Equal("the download failed: " + MessageText.Describe(f.InnerException!), f.Message);
        Assert.IsType<HttpRequestException>(f.InnerException);
        Assert.True(f.Transient);
    }

    [Fact]
    public async Task A_body_cut_off_is_an_interruption_and_what_arrived_was_written()
    {
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            var stream = await ctx.TakeOverAsync();
            await stream.WriteAsync(Object, 0, 2000);
            await stream.FlushAsync();
        });
        using var response = await Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None);
        using var destination = new MemoryStream();
        long reported = 0;
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => response.CopyToAsync(destination, md5, n => reported += n, CancellationToken.None));
        Assert.Equal("DownloadInterrupted", f.ErrorId);
        Assert.StartsWith("the transfer was cut off: ", f.Message, StringComparison.Ordinal);
        Assert.Equal("the transfer was cut off: " + f.InnerException!.Message, f.Message);
        Assert.True(f.Transient);
        Assert.False(f.Restart);
        Assert.Equal(Object.Take(2000).ToArray(), destination.ToArray());
        Assert.Equal(2000, reported);
    }

    [Fact]
    public async Task A_body_that_stops_coming_is_a_stall()
    {
        await using var server = new ScriptedObjectServer((ctx, _) =>
        {
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            return ScriptedObjectServer.SendThenHoldAsync(ctx, Object.Take(2000).ToArray());
        });
        using var response = await Transfer(idleSeconds: 1).OpenAsync(Url(server), 0, null, CancellationToken.None);
        using var destination = new MemoryStream();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var f = await Assert.ThrowsAsync<TransferFailedException>(() => response.CopyToAsync(destination, md5, null, CancellationToken.None));
        Assert.Equal("DownloadStalled", f.ErrorId);
        Assert.Equal("no data arrived for 1 s.", f.Message);
        Assert.True(f.Transient);
        Assert.Equal(2000, destination.Length);
    }

    [Fact]
    public async Task A_slow_body_that_keeps_coming_is_not_a_stall()
    {
        // Each block comes well within the idle timeout, but the whole body takes longer than it: the timeout is per read.
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            var stream = await ctx.TakeOverAsync();
            for (var i = 0; i < 5; i++)
            {
                await stream.WriteAsync(Object, i * 1000, 1000);
                await stream.FlushAsync();
                if (i < 4) await Task.Delay(500);
            }
        });
        using var response = await Transfer(idleSeconds: 1.5).OpenAsync(Url(server), 0, null, CancellationToken.None);
        Assert.Equal(Object, (await CopyAllAsync(response)).Bytes);
    }

    [Fact]
    public async Task A_failed_write_names_the_file_it_was_writing()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var path = Path.Combine(Path.GetTempPath(), "dypls-transfer-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var response = await Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None);
            using var file = new FailingFileStream(path);
            var ex = await Assert.ThrowsAsync<DyplsException>(() => CopyAllAsync(response, file));
            Assert.Equal("DestinationNotWritable", ex.ErrorId);
            Assert.Equal($"could not write '{path}': the device went away", ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_failed_write_to_a_stream_that_is_not_a_file_says_the_partial_file()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        using var response = await Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None);
        var ex = await Assert.ThrowsAsync<DyplsException>(() => CopyAllAsync(response, new FailingStream()));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.Equal("could not write 'the partial file': the device went away", ex.Message);
    }

    [Fact]
    public async Task Waiting_for_the_answer_and_the_body_never_comes_back_on_the_callers_context()
    {
        // The body waits until the copy has started, so the first read is a real wait.
        var go = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            var stream = await ctx.TakeOverAsync();
            await go.Task;
            await stream.WriteAsync(Object, 0, Object.Length);
            await stream.FlushAsync();
        });
        var context = new CountingSyncContext();
        using var response = await context.Start(() => Transfer().OpenAsync(Url(server), 0, null, CancellationToken.None));
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var destination = new MemoryStream();
        var copy = context.Start(() => response.CopyToAsync(destination, md5, null, CancellationToken.None));
        go.SetResult(true);
        await copy;
        Assert.Equal(Object, destination.ToArray());
        Assert.Equal(0, context.Posts);
    }

    [Fact]
    public async Task Writing_never_comes_back_on_the_callers_context()
    {
        // The body is all there before the copy starts; the destination's writes complete later, on the pool.
        var sent = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            var stream = await ctx.TakeOverAsync();
            await stream.WriteAsync(Object, 0, Object.Length);
            await stream.FlushAsync();
            sent.SetResult(true);
        });
        using var response = await Transfer(bufferSize: 64 * 1024).OpenAsync(Url(server), 0, null, CancellationToken.None);
        await sent.Task;
        var context = new CountingSyncContext();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var destination = new SlowStream();
        await context.Start(() => response.CopyToAsync(destination, md5, null, CancellationToken.None));
        Assert.Equal(Object, destination.ToArray());
        Assert.Equal(0, context.Posts);
    }

    private sealed class FailingFileStream(string path) : FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 4096, useAsync: true)
    {
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("the device went away");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new IOException("the device went away");
    }

    private sealed class FailingStream : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("the device went away");

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new IOException("the device went away");
    }

    /// <summary>A destination whose writes complete later, on the pool.</summary>
    private sealed class SlowStream : MemoryStream
    {
        public override async Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            Write(buffer, offset, count);
        }
    }
}
