using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Dypls.Api;
using Dypls.Core.Tests.TestServers;
using Dypls.Downloads;
using Dypls.Http;
using Dypls.Runs;

namespace Dypls.Core.Tests.Downloads;

/// <summary>
/// The save engine (<see cref="RecordingSaver"/>), one scenario each, over real HTTP against a scripted server: what it
/// saves, what it reports (status, attempts, API calls, MD5, -Verbose lines), and the exact error when it gives up.
/// </summary>
public sealed class SaverScenarioTests : IDisposable
{
    private static readonly byte[] Object = ScriptedObjectServer.Content(5000, 7);
    private static readonly string ObjectETag = ScriptedObjectServer.ETag(Object);
    private static readonly string ObjectMd5 = ScriptedObjectServer.Md5(Object);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-scenario-" + Guid.NewGuid().ToString("N"));
    private readonly ConcurrentQueue<string> _trace = new();
    private int _congestion;
    private int _freshUrls;

    public SaverScenarioTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Base => Path.Combine(_dir, "call-1");

    private string[] Trace => _trace.ToArray();

    private RecordingSaver Saver(int maxAttempts = 5, Func<DateTimeOffset>? clock = null, TimeSpan? busyWaitLimit = null, Lane? downloads = null)
    {
        var options = new SaveOptions
        {
            IdleTimeout = TimeSpan.FromSeconds(5),
            BaseRetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(20),
            MaxAttempts = maxAttempts,
            BusyWaitLimit = busyWaitLimit,
        };
        if (clock != null) options.Clock = clock;
        return new RecordingSaver(SharedHttpClient.Get(TimeSpan.FromSeconds(5)), options, downloads)
        {
            Trace = _trace.Enqueue,
            Congestion = () => Interlocked.Increment(ref _congestion),
        };
    }

    /// <summary>A job whose fresh URLs come from <paramref name="urls"/> in turn (the last one repeats); they count in _freshUrls.</summary>
    private SaveJob Job(string finalBase, params string[] urls) => JobWith(finalBase, null, false, null, urls);

    /// <summary>As <see cref="Job"/>, with a URL in hand (from input, or fetched ahead from the API) and a -Force cutoff.</summary>
    private SaveJob JobWith(string finalBase, RecordFileUrl? known, bool knownFromApi, DateTime? cutoff, params string[] urls) => new("call-1", finalBase, _ =>
    {
        var n = Interlocked.Increment(ref _freshUrls) - 1;
        return Task.FromResult(FetchTarget.Check(new RecordFileUrl(urls[Math.Min(n, urls.Length - 1)], "R" + n.ToString(CultureInfo.InvariantCulture), DateTimeOffset.UtcNow.AddHours(2), 1), givenOnInput: false));
    }, known is null ? null : FetchTarget.Check(known, givenOnInput: !knownFromApi), cutoff);

    private static async Task WaitUntil(Func<bool> condition)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (watch.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException("the condition never came true");
            await Task.Delay(10);
        }
    }

    private string[] HiddenFiles() => Directory.GetFiles(_dir, ".*", SearchOption.AllDirectories);

    private void WritePartial(byte[] bytes, string? validator, long total)
    {
        File.WriteAllBytes(RecordingStore.PartialPathFor(Base), bytes);
        if (validator != null) File.WriteAllLines(RecordingStore.MetaPathFor(Base), [validator, total.ToString(CultureInfo.InvariantCulture)]);
    }

    [Fact]
    public async Task A_recording_is_fetched_into_a_new_folder_checked_and_reported()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var url = server.Url("call-1.mp3");
        var finalBase = Path.Combine(_dir, "2024", "05", "call-1");
        long reported = 0;
        var r = await Saver().SaveAsync(Job(finalBase, url), n => Interlocked.Add(ref reported, n), CancellationToken.None);

        var path = finalBase + ".mp3";
        Assert.Equal(path, r.Path);
        Assert.Equal(Object, File.ReadAllBytes(path));
        Assert.Equal(Object.Length, r.Length);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(1, r.Attempts);
        Assert.Equal(1, _freshUrls);
        Assert.Equal(url, r.Url!.DownloadUrl);
        Assert.Equal(ObjectMd5, r.Md5);
        Assert.Equal(Object.Length, reported);
        Assert.Equal([$"CallId 'call-1': saved {Object.Length} bytes to '{path}' (MD5 checked)."], Trace);
        Assert.False(Assert.Single(server.Requests).Headers.ContainsKey("Range"));
        Assert.Empty(HiddenFiles());
        Assert.Equal(0, _congestion);
    }

    [Fact]
    public async Task Two_recordings_in_one_folder_share_it()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var saver = Saver();
        var folder = Path.Combine(_dir, "day");
        var first = await saver.SaveAsync(Job(Path.Combine(folder, "a"), server.Url("a.mp3")), null, CancellationToken.None);
        var second = await saver.SaveAsync(Job(Path.Combine(folder, "b"), server.Url("b.mp3")), null, CancellationToken.None);
        Assert.Equal(Path.Combine(folder, "a.mp3"), first.Path);
        Assert.Equal(Path.Combine(folder, "b.mp3"), second.Path);
        Assert.Equal(Object, File.ReadAllBytes(second.Path));
    }

    [Fact]
    public async Task Without_an_ETag_nothing_is_checked_and_the_line_says_so()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, etag: null));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Null(r.Md5);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal([$"CallId 'call-1': saved {Object.Length} bytes to '{r.Path}'."], Trace);
    }

    [Fact]
    public async Task An_ETag_that_is_not_a_plain_MD5_is_not_checked()
    {
        // Multipart uploads get an ETag like "<md5>-<parts>": never an MD5 of the bytes, so it must not fail them.
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, "\"5B3C1A2F9E8D7C6B5A4F3E2D1C0B9A88-2\""));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Null(r.Md5);
        Assert.Equal(1, r.Attempts);
    }

    [Fact]
    public async Task A_body_without_a_length_is_saved_whole()
    {
        await using var server = new ScriptedObjectServer(async (ctx, _) =>
        {
            ctx.Response.Headers["ETag"] = ObjectETag;
            var stream = await ctx.TakeOverAsync();
#pragma warning disable CA1835 // net472 has no Memory overload
            await stream.WriteAsync(Object, 0, Object.Length);
#pragma warning restore CA1835
        });
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal(ObjectMd5, r.Md5);
        Assert.Equal(1, r.Attempts);
    }

    [Theory]
    [InlineData("call-1", "audio/wav", ".wav")]
    [InlineData("call-1", "application/octet-stream", ".bin")]
    [InlineData("call-1.wav", "audio/mpeg", ".wav")]
    public async Task The_extension_comes_from_the_URL_else_from_the_content_type(string objectName, string contentType, string extension)
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag, contentType));
        var r = await Saver().SaveAsync(Job(Base, server.Url(objectName)), null, CancellationToken.None);
        Assert.Equal(Base + extension, r.Path);
    }

    [Fact]
    public async Task A_download_slot_is_held_from_the_request_to_the_last_byte_and_given_back()
    {
        var release = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new ScriptedObjectServer(async (ctx, n) =>
        {
            if (n == 0) await release.Task; // the first answer waits: its slot stays taken meanwhile
            await ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
        });
        var slots = new Dypls.Concurrency.DynamicSemaphore(1, 1);
        var downloads = new Lane(slots, _ => { });
        var first = Job(Base, server.Url("call-1.mp3"));
        var second = Job(Path.Combine(_dir, "call-2"), server.Url("call-2.mp3"));
        var a = Saver(downloads: downloads).SaveAsync(first, null, CancellationToken.None);
        await WaitUntil(() => server.Count == 1);
        var b = Saver(downloads: downloads).SaveAsync(second, null, CancellationToken.None);
        await Task.Delay(300);
        Assert.Equal(1, server.Count); // the second GET waits for the slot
        Assert.Equal(0, slots.Available);
        release.SetResult(true);
        var ra = await a;
        var rb = await b;
        Assert.Equal(2, server.Count);
        Assert.Equal(1, slots.Available);
        Assert.Equal(DownloadStatus.Downloaded, ra.Status);
        Assert.Equal(DownloadStatus.Downloaded, rb.Status);
        Assert.InRange(ra.TransferTime, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_failure_that_stops_the_run_is_told_before_the_slot_goes_back()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var slots = new Dypls.Concurrency.DynamicSemaphore(1, 1);
        var job = Job(Base, server.Url("call-1.mp3"));
        var availableWhenTold = -1;
        var saver = Saver(downloads: new Lane(slots, _ => availableWhenTold = slots.Available));
        // A full disk, as the store reports it, raised while the body is written.
        var full = new DyplsException("DiskFull", "the disk is full", stopsRun: true);
        var ex = await Assert.ThrowsAsync<DyplsException>(() => saver.SaveAsync(job, _ => throw full, CancellationToken.None));
        Assert.Same(full, ex);
        Assert.Equal(0, availableWhenTold);
        Assert.Equal(1, slots.Available);
    }

    [Fact]
    public async Task A_file_already_saved_is_skipped_without_a_request()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        File.WriteAllBytes(Base + ".mp3", [1, 2, 3]);
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(Base + ".mp3", r.Path);
        Assert.Equal(DownloadStatus.Skipped, r.Status);
        Assert.Equal(3, r.Length);
        Assert.Equal(0, r.Attempts);
        Assert.Equal(0, _freshUrls);
        Assert.Null(r.Url);
        Assert.Null(r.Md5);
        Assert.Equal(0, server.Count);
        Assert.Equal(0, _freshUrls);
        Assert.Equal([$"CallId 'call-1': '{Base}.mp3' is already saved; skipped."], Trace);
    }

    [Fact]
    public async Task The_known_URLs_extension_picks_which_saved_file_counts()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        File.WriteAllBytes(Base + ".mp3", [1]);
        File.WriteAllBytes(Base + ".wav", [1, 2]);
        var job = JobWith(Base, new RecordFileUrl(server.Url("call-1.wav"), null, DateTimeOffset.UtcNow.AddHours(1), 0), false, null, server.Url("call-1.wav"));
        var r = await Saver().SaveAsync(job, null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Skipped, r.Status);
        Assert.Equal(Base + ".wav", r.Path);
        Assert.Equal(2, r.Length);
    }

    [Fact]
    public async Task Force_replaces_a_file_older_than_the_run_but_not_one_written_at_its_start()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var written = new DateTime(2024, 5, 1, 12, 0, 0, DateTimeKind.Utc);
        File.WriteAllBytes(Base + ".mp3", [1, 2, 3]);
        File.SetLastWriteTimeUtc(Base + ".mp3", written);

        var job = JobWith(Base, null, false, written, server.Url("call-1.mp3"));
        var same = await Saver().SaveAsync(job, null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Skipped, same.Status);
        Assert.Equal(0, server.Count);

        job = JobWith(Base, null, false, written.AddSeconds(1), server.Url("call-1.mp3"));
        var older = await Saver().SaveAsync(job, null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, older.Status);
        Assert.Equal(Object, File.ReadAllBytes(Base + ".mp3"));
    }

    [Fact]
    public void A_plain_http_URL_given_on_input_is_refused_before_any_request()
    {
        var url = new RecordFileUrl("http://recordings.example.com/b/call-1.mp3?Expires=4102444800&OSSAccessKeyId=k&Signature=s", null, DateTimeOffset.UtcNow.AddHours(1), 0);
        var ex = Assert.Throws<DyplsException>(() => FetchTarget.Check(url, givenOnInput: true));
        Assert.Equal("InsecureDownloadUrl", ex.ErrorId);
        Assert.StartsWith("the download URL http://recordings.example.com/b/call-1.mp3?", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Signature=s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_known_URL_about_to_expire_is_replaced_by_a_fresh_one_from_the_API()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var fresh = server.Url("call-1.mp3", "fresh");
        var expires = DateTimeOffset.UtcNow.AddSeconds(30);
        var job = JobWith(Base, new RecordFileUrl(server.Url("call-1.mp3", "old"), null, expires, 0), false, null, fresh);
        var r = await Saver().SaveAsync(job, null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(1, _freshUrls);
        Assert.Equal(fresh, r.Url!.DownloadUrl);
        Assert.EndsWith("Signature=fresh", Assert.Single(server.Requests).Target, StringComparison.Ordinal);
        Assert.Equal($"CallId 'call-1': the download URL expires at {expires:u}; getting a fresh one.", Trace[0]);
    }

    [NotOnMonoFact]
    public async Task A_fresh_URL_from_the_API_is_not_held_to_the_rule_for_URLs_given_on_input()
    {
        // Input gave a loopback URL that is about to expire; the API's replacement is plain http on another host
        // (0.0.0.0, nothing listening): it is tried, so the row fails on the network, not as an insecure input URL.
        var job = JobWith(Base, new RecordFileUrl("http://127.0.0.1:9/b/call-1.mp3", null, DateTimeOffset.UtcNow.AddSeconds(10), 0), false, null, "http://0.0.0.0:" + ClosedPort().ToString(CultureInfo.InvariantCulture) + "/b/call-1.mp3");
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 1).SaveAsync(job, null, CancellationToken.None));
        Assert.Equal("DownloadNetworkError", ex.ErrorId);
        Assert.StartsWith("CallId 'call-1': the download failed: ", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(" Gave up after 1 attempts; run the same command again to resume from what was saved.", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, _freshUrls);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    [Fact]
    public async Task An_expired_URL_is_refreshed_without_using_up_an_attempt()
    {
        await using var server = new ScriptedObjectServer((ctx, n) => n == 0
            ? ScriptedObjectServer.ErrorAsync(ctx, 403, "AccessDenied", "Request has expired.")
            : ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3", "1"), server.Url("call-1.mp3", "2")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(1, r.Attempts);
        Assert.Equal(2, _freshUrls);
        Assert.Equal(server.Url("call-1.mp3", "2"), r.Url!.DownloadUrl);
        Assert.Contains("CallId 'call-1': the download URL has expired; getting a fresh one.", Trace);
        Assert.Equal(0, _congestion);
    }

    [Fact]
    public async Task A_URL_that_keeps_expiring_gives_up_after_three_fresh_ones()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ErrorAsync(ctx, 403, "AccessDenied", "Request has expired."));
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("DownloadUrlExpired", ex.ErrorId);
        Assert.Equal("CallId 'call-1': the download URL kept expiring (4 fresh URLs were tried). Check that the local clock is right.", ex.Message);
        Assert.Equal(4, server.Count);
        Assert.Equal(4, _freshUrls);
    }

    [Fact]
    public async Task A_refusal_when_the_URL_has_reached_its_expiry_gets_a_fresh_URL()
    {
        // The 403 does not say "expired", but by the clock the URL expired just as it was used.
        var expires = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var now = expires.AddHours(-1);
        await using var server = new ScriptedObjectServer((ctx, n) =>
        {
            if (n > 0) return ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
            now = expires;
            return ScriptedObjectServer.ErrorAsync(ctx, 403, "AccessDenied", "You have no right to access this object.");
        });
        var job = JobWith(Base, new RecordFileUrl(server.Url("call-1.mp3", "known"), null, expires, 0), true, null, server.Url("call-1.mp3", "fresh"));
        var r = await Saver(clock: () => now).SaveAsync(job, null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(1, r.Attempts);
        Assert.Equal(1, _freshUrls);
    }

    [Fact]
    public async Task A_server_error_when_the_URL_has_reached_its_expiry_uses_up_an_attempt()
    {
        var expires = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var now = expires.AddHours(-1);
        await using var server = new ScriptedObjectServer((ctx, n) =>
        {
            if (n > 0) return ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
            now = expires;
            return ScriptedObjectServer.ErrorAsync(ctx, 503, "ServiceUnavailable", "Please reduce your request rate.");
        });
        var job = JobWith(Base, new RecordFileUrl(server.Url("call-1.mp3", "known"), null, expires, 0), true, null, server.Url("call-1.mp3", "fresh"));
        var r = await Saver(clock: () => now).SaveAsync(job, null, CancellationToken.None);
        Assert.Equal(2, r.Attempts);
        Assert.Equal(1, _freshUrls);
        Assert.Equal(1, _congestion);
    }

    [Fact]
    public async Task A_refused_URL_fails_at_once_naming_the_redacted_URL()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ErrorAsync(ctx, 403, "AccessDenied", "You have no right to access this object."));
        var url = server.Url("call-1.mp3", "secret-signature");
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver().SaveAsync(Job(Base, url), null, CancellationToken.None));
        Assert.Equal("DownloadAccessDenied", ex.ErrorId);
        Assert.Equal($"CallId 'call-1': URL {Redaction.RedactUrl(url)}: the download server refused the URL (HTTP 403, AccessDenied).", ex.Message);
        Assert.DoesNotContain("secret-signature", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Count);
        Assert.Equal(1, _freshUrls);
    }

    [Fact]
    public async Task A_missing_recording_fails_at_once()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ErrorAsync(ctx, 404, "NoSuchKey", "The specified key does not exist."));
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("RecordingNotAvailable", ex.ErrorId);
        Assert.StartsWith("CallId 'call-1': the recording file is not on the download server (HTTP 404, NoSuchKey).", ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, server.Count);
    }

    [Fact]
    public async Task A_server_error_is_retried_and_reported_as_congestion()
    {
        await using var server = new ScriptedObjectServer((ctx, n) => n == 0
            ? ScriptedObjectServer.ErrorAsync(ctx, 503, "ServiceUnavailable", "Please reduce your request rate.")
            : ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(2, r.Attempts);
        Assert.Equal(1, _freshUrls);
        Assert.Equal(1, _congestion);
        Assert.Matches(new Regex(@"^CallId 'call-1': attempt 1 failed \(the download server answered HTTP 503, ServiceUnavailable\.\); retrying in \d+ ms\.$"), Trace[0]);
    }

    [Fact]
    public async Task A_server_that_keeps_failing_is_given_up_on_after_the_last_attempt()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ErrorAsync(ctx, 503, "ServiceUnavailable", "Please reduce your request rate."));
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 2).SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("DownloadServerError", ex.ErrorId);
        Assert.Equal("CallId 'call-1': the download server answered HTTP 503, ServiceUnavailable. Gave up after 2 attempts; run the same command again to resume from what was saved.", ex.Message);
        Assert.Equal(2, server.Count);
        Assert.Equal(2, _congestion);
    }

    [Fact]
    public async Task Wrong_bytes_are_fetched_again_from_the_start()
    {
        var wrong = (byte[])Object.Clone();
        wrong[100] ^= 0xFF;
        await using var server = new ScriptedObjectServer((ctx, n) => ScriptedObjectServer.ServeAsync(ctx, n == 0 ? wrong : Object, ObjectETag));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(2, r.Attempts);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.False(server.Requests[1].Headers.ContainsKey("Range"));
        Assert.Equal(0, _congestion); // a bad checksum is not the network's fault
    }

    [Fact]
    public async Task Wrong_bytes_on_the_last_attempt_fail_with_the_checksum_and_keep_nothing()
    {
        var wrong = (byte[])Object.Clone();
        wrong[100] ^= 0xFF;
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, wrong, ObjectETag));
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 1).SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("ChecksumMismatch", ex.ErrorId);
        Assert.Equal($"CallId 'call-1': the saved bytes do not match the server's MD5 ({ObjectMd5.ToUpperInvariant()}); starting over. Gave up after 1 attempts; run the same command again to resume from what was saved.", ex.Message);
        Assert.Empty(HiddenFiles());
        Assert.False(File.Exists(Base + ".mp3"));
    }

    [Fact]
    public async Task A_partial_file_with_its_validator_is_resumed()
    {
        WritePartial(Object.Take(1200).ToArray(), ObjectETag, Object.Length);
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        long reported = 0;
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), n => reported += n, CancellationToken.None);
        Assert.Equal(DownloadStatus.Resumed, r.Status);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal(Object.Length, r.Length);
        Assert.Equal(ObjectMd5, r.Md5);
        Assert.Equal(Object.Length - 1200, reported);
        var request = Assert.Single(server.Requests);
        Assert.Equal("bytes=1200-", request.Header("Range"));
        Assert.Equal(ObjectETag, request.Header("If-Range"));
        Assert.Empty(HiddenFiles());
    }

    [Fact]
    public async Task A_partial_file_without_its_validator_is_fetched_again_whole()
    {
        WritePartial([9, 9, 9], validator: null, total: 0);
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.False(Assert.Single(server.Requests).Headers.ContainsKey("Range"));
    }

    [Fact]
    public async Task A_partial_file_that_is_already_whole_is_checked_and_moved_into_place()
    {
        // The last run stopped between the last byte and the rename: the server has nothing left to send (416).
        WritePartial(Object, ObjectETag, Object.Length);
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Resumed, r.Status);
        Assert.Equal(1, r.Attempts);
        Assert.Equal(Object.Length, r.Length);
        Assert.Equal(ObjectMd5, r.Md5);
        Assert.Equal(Base + ".mp3", r.Path);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal($"bytes={Object.Length}-", Assert.Single(server.Requests).Header("Range"));
        Assert.Empty(HiddenFiles());
    }

    /// <summary>A saver whose page-cache drops are recorded: the path, and whether the final file existed yet.</summary>
    private RecordingSaver CountingDrops(ConcurrentQueue<(string Path, long Length, bool Renamed)> drops, string finalPath)
    {
        var saver = Saver();
        saver.DropFromCache = path => drops.Enqueue((path, new FileInfo(path).Length, File.Exists(finalPath)));
        return saver;
    }

    [Fact]
    public async Task A_recording_of_a_mebibyte_leaves_the_page_cache_once_whole_and_before_its_rename_a_smaller_one_does_not()
    {
        var large = ScriptedObjectServer.Content((int)PageCache.DropFrom, 3);
        var smaller = ScriptedObjectServer.Content((int)PageCache.DropFrom - 1, 4);
        await using var server = new ScriptedObjectServer((ctx, _) => ctx.Request.Path.EndsWith("large.mp3", StringComparison.Ordinal)
            ? ScriptedObjectServer.ServeAsync(ctx, large, ScriptedObjectServer.ETag(large))
            : ScriptedObjectServer.ServeAsync(ctx, smaller, ScriptedObjectServer.ETag(smaller)));
        var drops = new ConcurrentQueue<(string Path, long Length, bool Renamed)>();

        var r = await CountingDrops(drops, Base + ".mp3").SaveAsync(Job(Base, server.Url("large.mp3")), null, CancellationToken.None);
        Assert.Equal(large, File.ReadAllBytes(r.Path));
        Assert.Equal((RecordingStore.PartialPathFor(Base), large.Length, false), Assert.Single(drops));

        var other = Path.Combine(_dir, "call-2");
        r = await CountingDrops(drops, other + ".mp3").SaveAsync(Job(other, server.Url("smaller.mp3")), null, CancellationToken.None);
        Assert.Equal(smaller, File.ReadAllBytes(r.Path));
        Assert.Single(drops);
    }

    [Fact]
    public async Task A_large_partial_file_that_is_already_whole_leaves_the_page_cache_before_its_rename()
    {
        var large = ScriptedObjectServer.Content((int)PageCache.DropFrom, 5);
        var etag = ScriptedObjectServer.ETag(large);
        WritePartial(large, etag, large.Length);
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, large, etag));
        var drops = new ConcurrentQueue<(string Path, long Length, bool Renamed)>();
        var r = await CountingDrops(drops, Base + ".mp3").SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Resumed, r.Status);
        Assert.Equal(large, File.ReadAllBytes(r.Path));
        Assert.Equal((RecordingStore.PartialPathFor(Base), large.Length, false), Assert.Single(drops));
    }

    [Fact]
    public async Task Nothing_left_for_a_partial_file_short_of_its_length_starts_over()
    {
        WritePartial(Object.Take(1200).ToArray(), ObjectETag, Object.Length);
        await using var server = new ScriptedObjectServer((ctx, n) =>
        {
            if (n > 0) return ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
            ctx.Response.StatusCode = 416;
            return Task.CompletedTask;
        });
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 1).SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("DownloadRangeMismatch", ex.ErrorId);
        Assert.Equal("CallId 'call-1': the saved part no longer matches the recording; starting over. Gave up after 1 attempts; run the same command again to resume from what was saved.", ex.Message);
        Assert.Empty(HiddenFiles()); // the partial was abandoned

        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.False(server.Requests[1].Headers.ContainsKey("Range"));
    }

    [Theory]
    [InlineData(1200)] // the rest comes (206), but the saved part is gone
    [InlineData(5000)] // nothing is left (416), but the saved part is gone
    public async Task A_partial_file_that_vanishes_during_the_request_is_started_over(int saved)
    {
        WritePartial(Object.Take(saved).ToArray(), ObjectETag, Object.Length);
        await using var server = new ScriptedObjectServer((ctx, n) =>
        {
            if (n == 0) File.Delete(RecordingStore.PartialPathFor(Base)); // a user or a cleaner removed it meanwhile
            return ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
        });
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 1).SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("DownloadRangeMismatch", ex.ErrorId);
        Assert.Equal("CallId 'call-1': the saved part could not be read; starting over. Gave up after 1 attempts; run the same command again to resume from what was saved.", ex.Message);
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
        Assert.Empty(HiddenFiles()); // the meta file went with it

        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Downloaded, r.Status);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
    }

    [Fact]
    public async Task A_small_recording_cut_off_within_a_run_resumes_without_a_meta_file_and_the_next_run_resumes_what_a_failed_run_left()
    {
        // 5,000 bytes: far below the 1 MiB from which the resume record goes to disk up front.
        await using var server = new ScriptedObjectServer(async (ctx, n) =>
        {
            if (n % 2 == 1)
            {
                await ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
                return;
            }
            // The whole object announced, its first 1,000 bytes sent, then the connection closed.
            ctx.Response.Headers["ETag"] = ObjectETag;
            ctx.Response.Headers["Content-Length"] = Object.Length.ToString(CultureInfo.InvariantCulture);
            var stream = await ctx.TakeOverAsync();
#pragma warning disable CA1835 // net472 has no Memory overload
            await stream.WriteAsync(Object, 0, 1000);
#pragma warning restore CA1835
            await stream.FlushAsync();
        });
        var r = await Saver(maxAttempts: 2).SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Resumed, r.Status);
        Assert.Equal("bytes=1000-", server.Requests[1].Header("Range"));
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Empty(HiddenFiles());

        // A second recording whose run gives up mid-body: its partial file is left with its resume record.
        var second = Path.Combine(_dir, "call-2");
        File.Delete(r.Path);
        await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 1).SaveAsync(Job(second, server.Url("call-2.mp3")), null, CancellationToken.None));
        Assert.Equal([ObjectETag, Object.Length.ToString(CultureInfo.InvariantCulture)], File.ReadAllLines(RecordingStore.MetaPathFor(second)));
        Assert.Equal(1000, new FileInfo(RecordingStore.PartialPathFor(second)).Length);
    }

    [Fact]
    public async Task A_rest_shorter_than_the_object_is_incomplete_and_resumed_again()
    {
        WritePartial(Object.Take(1200).ToArray(), ObjectETag, Object.Length);
        await using var server = new ScriptedObjectServer((ctx, n) =>
        {
            ctx.Response.Headers["ETag"] = ObjectETag;
            if (n > 0) return ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag);
            // A well-formed 206 for the range asked, whose body (with a matching Content-Length) stops short.
            ctx.Response.StatusCode = 206;
            ctx.Response.Headers["Content-Range"] = $"bytes 1200-{Object.Length - 1}/{Object.Length}";
            return ctx.Response.WriteAsync(Object.Skip(1200).Take(800).ToArray());
        });
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver(maxAttempts: 1).SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        Assert.Equal("DownloadIncomplete", ex.ErrorId);
        Assert.Equal($"CallId 'call-1': the transfer ended at 2000 of {Object.Length} bytes. Gave up after 1 attempts; run the same command again to resume from what was saved.", ex.Message);

        var r = await Saver().SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None);
        Assert.Equal(DownloadStatus.Resumed, r.Status);
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal("bytes=2000-", server.Requests[1].Header("Range"));
    }

    [Fact]
    public async Task A_recording_held_by_another_run_that_shows_no_life_is_busy()
    {
        using var other = RecordingLock.TryAcquire(RecordingStore.LockPathFor(Base));
        Assert.NotNull(other);
        var ex = await Assert.ThrowsAsync<DyplsException>(() =>
            Saver(busyWaitLimit: TimeSpan.FromMilliseconds(300)).SaveAsync(Job(Base, "http://127.0.0.1:9/unused.mp3"), null, CancellationToken.None));
        Assert.Equal("RecordingBusy", ex.ErrorId);
        Assert.False(ex.StopsRun);
        Assert.StartsWith("CallId 'call-1': another run has been holding 'call-1' for 0 s without any progress", ex.Message, StringComparison.Ordinal);
        Assert.Equal(["CallId 'call-1': 'call-1' is being saved by another run; waiting for it."], Trace);
        Assert.Equal(0, _freshUrls);
    }

    [Fact]
    public async Task A_folder_that_cannot_be_made_fails_the_row_naming_it()
    {
        var blocker = Path.Combine(_dir, "not-a-folder");
        File.WriteAllBytes(blocker, [1]);
        var folder = Path.Combine(blocker, "day");
        var ex = await Assert.ThrowsAsync<DyplsException>(() => Saver().SaveAsync(Job(Path.Combine(folder, "call-1"), "http://127.0.0.1:9/unused.mp3"), null, CancellationToken.None));
        Assert.Equal("DestinationNotWritable", ex.ErrorId);
        Assert.False(ex.StopsRun);
        Assert.StartsWith($"CallId 'call-1': could not create the folder '{folder}': ", ex.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<IOException>(ex.InnerException);
    }

    [Fact]
    public async Task Saving_with_a_known_URL_never_comes_back_on_the_callers_context()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var job = JobWith(Base, new RecordFileUrl(server.Url("call-1.mp3"), null, DateTimeOffset.UtcNow.AddHours(1), 0), false, null, server.Url("call-1.mp3"));
        var context = new CountingSyncContext();
        var r = await context.Start(() => Saver().SaveAsync(job, null, CancellationToken.None));
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal(0, context.Posts);
    }

    [Fact]
    public async Task Getting_a_URL_never_comes_back_on_the_callers_context()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var job = new SaveJob("call-1", Base, async token =>
        {
            await Task.Delay(1, token).ConfigureAwait(false); // an API call: completes later, on the pool
            return FetchTarget.Check(new RecordFileUrl(server.Url("call-1.mp3"), null, DateTimeOffset.UtcNow.AddHours(1), 1), givenOnInput: false);
        });
        var context = new CountingSyncContext();
        var r = await context.Start(() => Saver().SaveAsync(job, null, CancellationToken.None));
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal(0, context.Posts);
    }

    [Fact]
    public async Task Waiting_for_another_run_never_comes_back_on_the_callers_context()
    {
        await using var server = new ScriptedObjectServer((ctx, _) => ScriptedObjectServer.ServeAsync(ctx, Object, ObjectETag));
        var other = RecordingLock.TryAcquire(RecordingStore.LockPathFor(Base));
        Assert.NotNull(other);
        var waiting = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var saver = Saver();
        saver.Trace = line => waiting.TrySetResult(true);
        var context = new CountingSyncContext();
        var save = context.Start(() => saver.SaveAsync(Job(Base, server.Url("call-1.mp3")), null, CancellationToken.None));
        await waiting.Task;
        other!.Dispose();
        var r = await save;
        Assert.Equal(Object, File.ReadAllBytes(r.Path));
        Assert.Equal(0, context.Posts);
    }
}

/// <summary>A fact that Mono cannot run: after a failed connect to 0.0.0.0 its HttpWebRequest fails every later
/// connection of the process with "Operation already in progress", which would fail unrelated tests.</summary>
internal sealed class NotOnMonoFactAttribute : FactAttribute
{
    public NotOnMonoFactAttribute()
    {
        if (Type.GetType("Mono.Runtime") != null) Skip = "Mono's HttpWebRequest breaks for the whole process after a failed connect to 0.0.0.0.";
    }
}
