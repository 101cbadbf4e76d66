using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Dypls.Api;
using Dypls.Core.Tests.TestServers;
using Dypls.Downloads;
using Dypls.Http;

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// The save engine end to end over real HTTP, against an OSS-like object server that breaks things on purpose: 5xx,
/// bodies cut off mid-way, bodies that stall, right length with wrong bytes. Runs on both lanes; on net472 it is the
/// .NET Framework's HttpClientHandler path (and proves that a stalled read is ended by the idle timeout there).
/// </summary>
public sealed class SaverOverHttpTests : IAsyncLifetime
{
    private const int Size = 64 * 1024;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-saver-" + Guid.NewGuid().ToString("N"));
    private ObjectServer _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _server = await ObjectServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private enum Fault { None, ServerError, CutBody, StalledBody, WrongBytes }

    private static Fault FaultFor(int i) => (Fault)(i % 5);

    private static RecordingSaver Saver() => new(SharedHttpClient.Get(TimeSpan.FromSeconds(5)), new SaveOptions
    {
        // Long enough that a busy 2-core machine never stalls a healthy transfer; short enough for the stalled ones.
        IdleTimeout = TimeSpan.FromSeconds(3),
        BaseRetryDelay = TimeSpan.FromMilliseconds(10),
        MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        MaxAttempts = 5,
    });

    private SaveJob Job(int i)
    {
        var url = new Uri(_server.BaseUri, $"b/obj-{i}.mp3?Expires=4102444800&OSSAccessKeyId=k&Signature=s%3D").AbsoluteUri;
        return new SaveJob($"obj-{i}", Path.Combine(_dir, $"obj-{i}"),
            _ => Task.FromResult(FetchTarget.Check(new RecordFileUrl(url, "R-" + i.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddHours(2), 1), givenOnInput: false)));
    }

    [Fact]
    public async Task Faulty_transfers_end_byte_exact_and_cut_ones_resume_without_refetching_what_was_saved()
    {
        const int count = 40;
        for (var i = 0; i < count; i++) _server.Add(i, FaultFor(i));
        var saver = Saver();
        using var gate = new SemaphoreSlim(8);
        var results = await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await gate.WaitAsync();
            try { return await saver.SaveAsync(Job(i), null, CancellationToken.None); }
            finally { gate.Release(); }
        }));

        for (var i = 0; i < count; i++)
        {
            var r = results[i];
            var fault = FaultFor(i);
            Assert.Equal(Path.Combine(_dir, $"obj-{i}.mp3"), r.Path);
            Assert.True(_server.Bytes(i).SequenceEqual(File.ReadAllBytes(r.Path)), $"obj-{i} ({fault}) is not byte-exact");
            var why = $"obj-{i} ({fault}): {r.Status} after {r.Attempts} attempts; requests: " +
                string.Join(" | ", _server.Requests(i).Select(q => (q.Range ?? "whole") + " " + (q.IfRange ?? "")));
            Assert.True((fault is Fault.CutBody or Fault.StalledBody ? DownloadStatus.Resumed : DownloadStatus.Downloaded) == r.Status, why);
            Assert.True((fault == Fault.None ? 1 : 2) == r.Attempts, why);
            Assert.Equal(_server.Md5(i), r.Md5);
            if (fault is Fault.CutBody or Fault.StalledBody)
            {
                // The second request asked for the rest only, guarded by the ETag, and nothing was sent twice.
                var second = _server.Requests(i)[1];
                Assert.Equal($"bytes={Size / 2}-", second.Range);
                Assert.Equal(_server.ETag(i), second.IfRange);
                Assert.Equal(Size, _server.BytesServed(i));
            }
        }
        Assert.Empty(Directory.GetFiles(_dir, ".*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task A_changed_object_comes_back_whole_instead_of_a_mismatched_tail()
    {
        _server.Add(0, Fault.CutBody);
        _server.ChangeAfterFirstRequest(0);
        var r = await Saver().SaveAsync(Job(0), null, CancellationToken.None);
        Assert.True(_server.Bytes(0).SequenceEqual(File.ReadAllBytes(r.Path)));
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(_server.Md5(0), r.Md5);
        Assert.Equal(Size / 2 + Size, _server.BytesServed(0));
    }

    [Fact]
    public async Task Cancelling_ends_a_stalled_transfer_at_once_and_keeps_the_partial_file()
    {
        _server.Add(0, Fault.StalledBody);
        using var cts = new CancellationTokenSource();
        var saver = new RecordingSaver(SharedHttpClient.Get(TimeSpan.FromSeconds(5)), new SaveOptions { IdleTimeout = TimeSpan.FromSeconds(60) });
        var save = saver.SaveAsync(Job(0), null, cts.Token);
        await _server.WaitForStallAsync(0);
        var partial = RecordingStore.PartialPathFor(Path.Combine(_dir, "obj-0"));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!(File.Exists(partial) && new FileInfo(partial).Length == Size / 2))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "the first half never reached the partial file");
            await Task.Delay(20);
        }
        var clock = System.Diagnostics.Stopwatch.StartNew();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => save);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"cancelling took {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(Size / 2, new FileInfo(partial).Length);
        Assert.False(File.Exists(Path.Combine(_dir, "obj-0.mp3")));
    }

    /// <summary>Objects by number, each with one scripted fault on its first request; Range and If-Range as OSS does them.</summary>
    private sealed class ObjectServer : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<int, Entry> _objects = new();
        private LoopbackHttpServer _http = null!;

        public Uri BaseUri => _http.BaseUri;

        public static Task<ObjectServer> StartAsync()
        {
            var s = new ObjectServer();
            s._http = new LoopbackHttpServer(s.HandleAsync);
            return Task.FromResult(s);
        }

        public void Add(int i, Fault fault) => _objects[i] = new Entry(Make(i, 0), fault);

        public void ChangeAfterFirstRequest(int i) => _objects[i].ChangeAfterFirst = true;

        public byte[] Bytes(int i) => _objects[i].Content;
        public string Md5(int i) => Hex(MD5Hash(_objects[i].Content));
        public string ETag(int i) => "\"" + Md5(i).ToUpperInvariant() + "\"";
        public (string? Range, string? IfRange)[] Requests(int i) => _objects[i].Requests.ToArray();
        public long BytesServed(int i) => Interlocked.Read(ref _objects[i].Served);

        public Task<bool> WaitForStallAsync(int i) => _objects[i].Stalled.Task;

        private static byte[] Make(int i, int version)
        {
            var bytes = new byte[Size];
            new Random(i * 7919 + version).NextBytes(bytes);
            return bytes;
        }

        // OSS ETags are MD5 digests; MD5.HashData and Convert.ToHexStringLower are .NET 5+/9+, and this file also builds for net472.
#pragma warning disable CA5351, CA1850, CA1872
        private static byte[] MD5Hash(byte[] b)
        {
            using var md5 = MD5.Create();
            return md5.ComputeHash(b);
        }

        private static string Hex(byte[] b) => BitConverter.ToString(b).Replace("-", "").ToLowerInvariant();
#pragma warning restore CA5351, CA1850, CA1872

#pragma warning disable CA1846, CA1865, CA1835 // span, char and Memory overloads are .NET Core only; this file also builds for net472
        private async Task HandleAsync(LoopbackContext ctx)
        {
            var name = Path.GetFileNameWithoutExtension(ctx.Request.Path);
            if (ctx.Request.Method != "GET" || !name.StartsWith("obj-", StringComparison.Ordinal) ||
                !_objects.TryGetValue(int.Parse(name.Substring(4), CultureInfo.InvariantCulture), out var o))
            {
                ctx.Response.StatusCode = 404;
                return;
            }
            int n;
            lock (o)
            {
                n = o.Requests.Count;
                o.Requests.Add((Header(ctx, "Range"), Header(ctx, "If-Range")));
                if (n == 1 && o.ChangeAfterFirst) o.Content = Make(int.Parse(name.Substring(4), CultureInfo.InvariantCulture), 1);
            }
            var content = o.Content;
            var etag = "\"" + Hex(MD5Hash(content)).ToUpperInvariant() + "\"";
            var from = 0;
            var range = Header(ctx, "Range");
            if (range != null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith("-", StringComparison.Ordinal) && Header(ctx, "If-Range") == etag)
            {
                from = int.Parse(range.Substring(6, range.Length - 7), CultureInfo.InvariantCulture);
            }
            ctx.Response.Headers["ETag"] = etag;
            ctx.Response.ContentType = "audio/mpeg";
            if (from > 0)
            {
                ctx.Response.StatusCode = 206;
                ctx.Response.Headers["Content-Range"] = $"bytes {from}-{content.Length - 1}/{content.Length}";
            }
            var body = content.Skip(from).ToArray();

            if (n == 0 && o.Fault != Fault.None)
            {
                switch (o.Fault)
                {
                    case Fault.ServerError:
                        ctx.Response.StatusCode = 503;
                        ctx.Response.ContentType = "application/xml";
                        await ctx.Response.WriteAsync("<Error><Code>ServiceUnavailable</Code></Error>");
                        return;
                    case Fault.WrongBytes:
                        var wrong = (byte[])body.Clone();
                        wrong[wrong.Length / 3] ^= 0xFF;
                        Interlocked.Add(ref o.Served, wrong.Length);
                        await ctx.Response.WriteAsync(wrong);
                        return;
                    case Fault.CutBody:
                    case Fault.StalledBody:
                        ctx.Response.Headers["Content-Length"] = body.Length.ToString(CultureInfo.InvariantCulture);
                        var stream = await ctx.TakeOverAsync();
                        await stream.WriteAsync(body, 0, body.Length / 2);
                        await stream.FlushAsync();
                        Interlocked.Add(ref o.Served, body.Length / 2);
                        if (o.Fault == Fault.StalledBody)
                        {
                            o.Stalled.TrySetResult(true);
                            try { await Task.Delay(TimeSpan.FromSeconds(30), ctx.Aborted); } catch (OperationCanceledException) { }
                        }
                        return; // the connection closes: the client sees a body shorter than its Content-Length
                }
            }
            Interlocked.Add(ref o.Served, body.Length);
            await ctx.Response.WriteAsync(body);
        }
#pragma warning restore CA1846, CA1865, CA1835

        private static string? Header(LoopbackContext ctx, string name) => ctx.Request.Headers.TryGetValue(name, out var v) ? v : null;

        public ValueTask DisposeAsync() => _http.DisposeAsync();

        private sealed class Entry
        {
            public Entry(byte[] content, Fault fault) { Content = content; Fault = fault; }
            public byte[] Content;
            public readonly Fault Fault;
            public bool ChangeAfterFirst;
            public long Served;
            public readonly List<(string? Range, string? IfRange)> Requests = new();
            public readonly TaskCompletionSource<bool> Stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
