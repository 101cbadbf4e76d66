using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using Dypls.Emulator;
using Xunit;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

/// <summary>Fault injection: each kind at rate 1 gives exactly its answer, rate 0 none, and a seed repeats itself.</summary>
public class EmulatorFaultTests
{
    private static long Stat(JsonElement stats, string name) => stats.GetProperty(name).GetInt64();

    private static string XmlField(string body, string field) => XDocument.Parse(body).Root!.Element(field)!.Value;

    /// <summary>Polls (without HTTP requests of its own) until the condition holds; fails after a generous limit.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "Timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task Api_5xx_at_rate_1_answers_500_or_503_gateway_errors_with_fresh_request_ids()
    {
        await using var host = await StartAsync(o => o.Faults.Api5xxRate = 1.0);
        var results = new List<RpcResult>();
        for (var i = 0; i < 20; i++)
        {
            results.Add(await host.CallAsync());
        }
        foreach (var r in results)
        {
            Assert.True(r.Status is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable, r.ToString());
            Assert.Equal(r.Status == HttpStatusCode.InternalServerError ? "InternalError" : "ServiceUnavailable", r["Code"]);
            Assert.Equal(EmulatorDefaults.ApiHostId, r["HostId"]);
            Assert.False(string.IsNullOrEmpty(r["Message"]));
        }
        Assert.Contains(results, r => r.Status == HttpStatusCode.InternalServerError);
        Assert.Contains(results, r => r.Status == HttpStatusCode.ServiceUnavailable);
        Assert.Equal(20, results.Select(r => r["RequestId"]).Distinct().Count());

        var stats = await host.StatsAsync();
        Assert.Equal(20, Stat(stats, "faultApi5xx"));
        Assert.Equal(20, Stat(stats, "faultsInjected"));
        Assert.Equal(0, Stat(stats, "apiSucceeded"));
        Assert.Equal(0, Stat(stats, "faultApiThrottle"));
    }

    [Fact]
    public async Task Api_5xx_comes_before_signature_verification()
    {
        await using var host = await StartAsync(o => o.Faults.Api5xxRate = 1.0);
        var r = await host.CallAsync(accessKeySecret: "wrong");
        Assert.True(r.Status is HttpStatusCode.InternalServerError or HttpStatusCode.ServiceUnavailable, r.ToString());
        Assert.Equal(0, Stat(await host.StatsAsync(), "signatureFailures"));
    }

    [Fact]
    public async Task Api_throttle_at_rate_1_answers_Throttling_User_with_retry_after()
    {
        await using var host = await StartAsync(o =>
        {
            o.Faults.ApiThrottleRate = 1.0;
            o.RetryAfterMs = 250;
        });
        var r = await host.CallAsync();
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal("Throttling.User", r["Code"]);
        Assert.Equal("Request was denied due to user flow control.", r["Message"]);
        Assert.Equal("250", r.Headers.GetValues("x-acs-retry-after").Single());

        var xml = await host.CallAsync(ApiParameters(format: "XML"));
        Assert.Equal("Throttling.User", xml["Code"]);
        Assert.NotNull(xml.Xml);

        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "faultApiThrottle"));
        Assert.Equal(2, Stat(stats, "throttled"));
        Assert.Equal(2, Stat(stats, "faultsInjected"));
    }

    [Fact]
    public async Task Api_system_error_at_rate_1_is_a_product_answer_after_the_signature_checks()
    {
        await using var host = await StartAsync(o => o.Faults.ApiSystemErrorRate = 1.0);
        var r = await host.CallAsync();
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("isp.SYSTEM_ERROR", r["Code"]);
        Assert.Null(r["DownloadUrl"]);

        // A forged call still gets the gateway's answer: the product never saw it.
        var forged = await host.CallAsync(accessKeySecret: "wrong");
        Assert.Equal("SignatureDoesNotMatch", forged["Code"]);

        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "faultApiSystemError"));
        Assert.Equal(1, Stat(stats, "signatureFailures"));
        Assert.Equal(1, Stat(stats, "faultsInjected"));
        Assert.Equal(0, Stat(stats, "apiSucceeded"));
    }

    [Fact]
    public async Task Api_reset_at_rate_1_drops_the_connection_without_an_answer()
    {
        await using var host = await StartAsync(o => o.Faults.ApiResetRate = 1.0);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.CallAsync());
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => host.CallAsync());
        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "faultApiReset"));
        Assert.Equal(2, Stat(stats, "faultsInjected"));
    }

    [Fact]
    public async Task Api_stall_holds_the_request_until_the_client_cancels_and_counts_in_concurrency()
    {
        await using var host = await StartAsync(o => o.Faults.ApiStallRate = 1.0);
        using var cts = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 2).Select(_ => host.CallAsync(cancellationToken: cts.Token)).ToList();
        await WaitUntilAsync(() => host.Server.Stats.Fault(FaultKind.ApiStall) == 2, "both calls stall");
        Assert.Equal(2, host.Server.Stats.CurrentRequests);
        Assert.True(host.Server.Stats.MaxConcurrentRequests >= 2);
        Assert.All(calls, c => Assert.False(c.IsCompleted));

        cts.Cancel();
        foreach (var call in calls)
        {
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        }
        // The server lets go of both once the client has gone.
        await WaitUntilAsync(() => host.Server.Stats.CurrentRequests == 0, "the stalled requests end");

        // Switched off again, the same client is answered normally.
        await host.PatchSettingsAsync("{\"apiStallRate\":0}");
        Assert.Equal("OK", (await host.CallAsync())["Code"]);
    }

    [Fact]
    public async Task Api_stall_makes_a_client_timeout_fire()
    {
        await using var host = await StartAsync(o => o.Faults.ApiStallRate = 1.0);
        using var client = new HttpClient { BaseAddress = host.Server.BaseUri, Timeout = TimeSpan.FromMilliseconds(500) };
        var query = Dypls.Signing.RpcSigner.ToQueryString(Dypls.Signing.RpcSigner.SignRequest("GET", ApiParameters(),
            EmulatorDefaults.DemoAccessKeyId, EmulatorDefaults.DemoAccessKeySecret, null, DateTimeOffset.UtcNow, Guid.NewGuid().ToString("N")));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetAsync("/?" + query));
        Assert.True(clock.ElapsedMilliseconds >= 400);
    }

    [Fact]
    public async Task Stopping_the_server_releases_stalled_requests()
    {
        var host = await StartAsync(o =>
        {
            o.Faults.ApiStallRate = 1.0;
            o.Faults.DownloadStallRate = 1.0;
        });
        var call = host.CallAsync();
        await WaitUntilAsync(() => host.Server.Stats.Fault(FaultKind.ApiStall) == 1, "the call stalls");
        // Completes at once rather than after the host's shutdown timeout: the stall lets go when the server begins stopping.
        await host.DisposeAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => call);
    }

    [Fact]
    public async Task Rate_0_injects_nothing()
    {
        await using var host = await StartAsync(o => o.RecordingSize = 4096);
        await host.PatchSettingsAsync("{\"api5xxRate\":0,\"apiThrottleRate\":0,\"apiSystemErrorRate\":0,\"apiResetRate\":0,\"apiStallRate\":0," +
                                      "\"download5xxRate\":0,\"downloadTruncateRate\":0,\"downloadStallRate\":0,\"expireNextDownloads\":0}");
        for (var i = 0; i < 30; i++)
        {
            var url = await host.DownloadUrlAsync("call-" + i.ToString(CultureInfo.InvariantCulture));
            if (i % 6 == 0)
            {
                var body = await host.Http.GetByteArrayAsync(url);
                Assert.Equal(4096, body.Length);
            }
        }
        var stats = await host.StatsAsync();
        Assert.Equal(30, Stat(stats, "apiSucceeded"));
        Assert.Equal(0, Stat(stats, "faultsInjected"));
    }

    private static async Task<SortedSet<int>> FailingIndexesAsync(EmulatorTestHost host, int calls)
    {
        var failing = new SortedSet<int>();
        for (var i = 0; i < calls; i++)
        {
            var r = await host.CallAsync();
            if (r.Status != HttpStatusCode.OK)
            {
                failing.Add(i);
            }
        }
        return failing;
    }

    [Fact]
    public async Task The_same_seed_repeats_the_same_decisions_for_sequential_requests()
    {
        await using var host = await StartAsync(o =>
        {
            o.Faults.Seed = 7;
            o.Faults.Api5xxRate = 0.3;
        });
        var first = await FailingIndexesAsync(host, 200);
        // Setting the seed (even to the same value) restarts the sequence.
        await host.PatchSettingsAsync("{\"faultSeed\":7}");
        var second = await FailingIndexesAsync(host, 200);
        Assert.Equal(first, second);
        Assert.InRange(first.Count, 40, 80);
        Assert.Equal(first.Count * 2, Stat(await host.StatsAsync(), "faultApi5xx"));

        // Another server with the same seed, configured on its command line, agrees too.
        await using var other = await StartAsync(o =>
        {
            var parsed = CommandLine.Parse(["--fault-seed", "7", "--fault-api-5xx", "0.3"], out _, out _)!;
            o.Faults.Seed = parsed.Faults.Seed;
            o.Faults.Api5xxRate = parsed.Faults.Api5xxRate;
        });
        Assert.Equal(first, await FailingIndexesAsync(other, 200));

        await host.PatchSettingsAsync("{\"faultSeed\":8}");
        Assert.NotEqual(first, await FailingIndexesAsync(host, 200));
    }

    private static async Task<(HttpResponseMessage Response, string Body)> DownloadAsync(EmulatorTestHost host, string url)
    {
        var response = await host.Http.GetAsync(url);
        return (response, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Download_5xx_at_rate_1_answers_OSS_XML_errors()
    {
        await using var host = await StartAsync(o => o.Faults.Download5xxRate = 1.0);
        var url = await host.DownloadUrlAsync("call-5xx");
        var statuses = new HashSet<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            var (response, body) = await DownloadAsync(host, url);
            using (response)
            {
                statuses.Add(response.StatusCode);
                Assert.Equal(response.StatusCode == HttpStatusCode.InternalServerError ? "InternalError" : "ServiceUnavailable", XmlField(body, "Code"));
                Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
                Assert.Equal(EmulatorDefaults.OssHostId, XmlField(body, "HostId"));
            }
        }
        Assert.Equal(new HashSet<HttpStatusCode> { HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable }, statuses);
        var stats = await host.StatsAsync();
        Assert.Equal(12, Stat(stats, "faultDownload5xx"));
        Assert.Equal(12, Stat(stats, "faultsInjected"));
        Assert.Equal(0, Stat(stats, "downloadBytes"));
    }

    [Fact]
    public async Task Download_faults_come_after_the_signature_check()
    {
        await using var host = await StartAsync(o => o.Faults.Download5xxRate = 1.0);
        var url = await host.DownloadUrlAsync("call-sig");
        var (response, body) = await DownloadAsync(host, url.Replace("Signature=", "Signature=x", StringComparison.Ordinal));
        using (response)
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Equal("SignatureDoesNotMatch", XmlField(body, "Code"));
        }
        Assert.Equal(0, Stat(await host.StatsAsync(), "faultsInjected"));
    }

    /// <summary>Reads a body until it ends or fails; returns what arrived and the failure, if any.</summary>
    private static async Task<(long ContentLength, MemoryStream Received, Exception? Failure)> ReadUntilFailureAsync(
        HttpClient client, string url, CancellationToken ct = default)
    {
        using var response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var received = new MemoryStream();
        Exception? failure = null;
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[8192];
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException or OperationCanceledException)
        {
            failure = e;
        }
        return (response.Content.Headers.ContentLength!.Value, received, failure);
    }

    [Fact]
    public async Task Truncated_download_delivers_fewer_bytes_than_Content_Length_then_fails()
    {
        await using var host = await StartAsync(o => o.Faults.DownloadTruncateRate = 1.0);
        var url = await host.DownloadUrlAsync("call-cut");
        var expected = await host.ExpectedRecordingAsync("call-cut");
        var (length, received, failure) = await ReadUntilFailureAsync(host.Http, url);

        Assert.Equal(expected.Length, length);
        Assert.NotNull(failure);
        Assert.IsNotType<OperationCanceledException>(failure);
        Assert.InRange(received.Length, 1, length - 1);
        Assert.Equal(expected.AsSpan(0, (int)received.Length).ToArray(), received.ToArray());

        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "faultDownloadTruncate"));
        Assert.Equal(0, Stat(stats, "cutDownloads"));
        Assert.Equal(1, Stat(stats, "faultsInjected"));
    }

    [Fact]
    public async Task Cut_budget_and_truncate_rate_share_one_path()
    {
        await using var host = await StartAsync(o =>
        {
            o.Faults.CutDownloads = 1;
            o.Faults.CutDownloadsAtBytes = 1000;
        });
        var url = await host.DownloadUrlAsync("call-budget");
        var (_, received, failure) = await ReadUntilFailureAsync(host.Http, url);
        Assert.NotNull(failure);
        Assert.Equal(1000, received.Length);
        var (_, whole, none) = await ReadUntilFailureAsync(host.Http, url);
        Assert.Null(none);
        Assert.Equal(await host.ExpectedRecordingAsync("call-budget"), whole.ToArray());

        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "cutDownloads"));
        Assert.Equal(1, Stat(stats, "faultsInjected"));
    }

    [Fact]
    public async Task Stalled_download_sends_part_of_the_body_until_the_client_gives_up()
    {
        await using var host = await StartAsync(o => o.Faults.DownloadStallRate = 1.0);
        var url = await host.DownloadUrlAsync("call-stall");
        using var idle = new CancellationTokenSource();
        var read = ReadUntilFailureAsync(host.Http, url, idle.Token);
        await WaitUntilAsync(() => host.Server.Stats.Fault(FaultKind.DownloadStall) == 1, "the download stalls");
        await Task.Delay(300);
        Assert.False(read.IsCompleted);
        Assert.True(host.Server.Stats.MaxConcurrentRequests >= 1);

        idle.Cancel(); // the client's idle timeout
        var (length, received, failure) = await read;
        Assert.IsAssignableFrom<OperationCanceledException>(failure);
        Assert.True(received.Length < length);
        await WaitUntilAsync(() => host.Server.Stats.CurrentRequests == 0, "the stalled download ends");
        Assert.Equal(1, Stat(await host.StatsAsync(), "faultsInjected"));
    }

    [Fact]
    public async Task Slow_bodies_arrive_byte_exact()
    {
        await using var host = await StartAsync(o =>
        {
            o.RecordingSize = 20_000;
            o.Faults.DownloadSlowBytesPerSecond = 40_000;
        });
        var url = await host.DownloadUrlAsync("call-slow");
        var clock = Stopwatch.StartNew();
        var body = await host.Http.GetByteArrayAsync(url);
        clock.Stop();
        Assert.Equal(await host.ExpectedRecordingAsync("call-slow"), body);
        // 20 000 bytes at 40 000 B/s: about half a second; only the lower bound is asserted.
        Assert.True(clock.ElapsedMilliseconds >= 400, clock.ElapsedMilliseconds + " ms");

        // Ranges are paced too, and still exact.
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, 4099);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal((await host.ExpectedRecordingAsync("call-slow")).AsSpan(100, 4000).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(0, Stat(await host.StatsAsync(), "faultsInjected"));
    }

    [Fact]
    public async Task A_total_rate_is_shared_by_every_download_at_once()
    {
        await using var host = await StartAsync(o =>
        {
            o.RecordingSize = 20_000;
            o.Faults.DownloadTotalBytesPerSecond = 80_000;
        });
        var urls = new[] { await host.DownloadUrlAsync("call-thin-1"), await host.DownloadUrlAsync("call-thin-2"), await host.DownloadUrlAsync("call-thin-3"), await host.DownloadUrlAsync("call-thin-4") };
        var clock = Stopwatch.StartNew();
        var bodies = await Task.WhenAll(urls.Select(u => host.Http.GetByteArrayAsync(u)));
        clock.Stop();
        for (var i = 0; i < 4; i++) Assert.Equal(await host.ExpectedRecordingAsync("call-thin-" + (i + 1)), bodies[i]);
        // 4 x 20 000 bytes through one 80 000 B/s link: about a second in all (each alone would take a quarter of that).
        Assert.True(clock.ElapsedMilliseconds >= 800, clock.ElapsedMilliseconds + " ms");
    }

    [Fact]
    public async Task Expire_next_downloads_refuses_valid_urls_as_expired_then_serves_them()
    {
        await using var host = await StartAsync(o => o.RecordingSize = 1000);
        var url = await host.DownloadUrlAsync("call-expire");
        await host.PatchSettingsAsync("{\"expireNextDownloads\":2}");
        for (var i = 0; i < 2; i++)
        {
            var (response, body) = await DownloadAsync(host, url);
            using (response)
            {
                Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
                Assert.Equal("AccessDenied", XmlField(body, "Code"));
                Assert.Equal("Request has expired.", XmlField(body, "Message"));
            }
        }
        Assert.Equal(1000, (await host.Http.GetByteArrayAsync(url)).Length);

        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "faultDownloadExpired"));
        Assert.Equal(2, Stat(stats, "expiredDownloads"));
        Assert.Equal(2, Stat(stats, "faultsInjected"));
        Assert.Equal(0, host.Server.Options.Faults.ExpireNextDownloads);
    }

    [Fact]
    public async Task Clock_skew_beyond_the_window_gives_InvalidTimeStamp_Expired_with_a_skewed_Date()
    {
        await using var host = await StartAsync(o => o.Faults.ClockSkewSeconds = 20 * 60);
        var r = await host.CallAsync();
        Assert.Equal(HttpStatusCode.BadRequest, r.Status);
        Assert.Equal("InvalidTimeStamp.Expired", r["Code"]);
        var date = r.Headers.Date;
        Assert.NotNull(date);
        var offset = date!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(offset.TotalMinutes, 18, 22);

        // A client that corrects its clock by the Date header gets through.
        var corrected = await host.CallAsync(timestamp: DateTimeOffset.UtcNow + offset);
        Assert.Equal("OK", corrected["Code"]);

        // Within the window a skew is tolerated, as the gateway does.
        await host.PatchSettingsAsync("{\"clockSkewSeconds\":-300}");
        Assert.Equal("OK", (await host.CallAsync())["Code"]);
        Assert.Equal(0, Stat(await host.StatsAsync(), "faultsInjected"));
    }

    [Fact]
    public async Task Settings_round_trip_and_reset_keeps_them()
    {
        await using var host = await StartAsync();
        const string patch = "{\"faultSeed\":-12,\"api5xxRate\":0.05,\"apiThrottleRate\":0.1,\"apiSystemErrorRate\":0.15,\"apiResetRate\":0.2," +
                             "\"apiStallRate\":0.25,\"clockSkewSeconds\":-90,\"download5xxRate\":0.3,\"downloadTruncateRate\":0.35," +
                             "\"downloadStallRate\":0.4,\"downloadSlowBytesPerSecond\":12345,\"expireNextDownloads\":3}";
        await host.PatchSettingsAsync(patch);
        using var reset = await host.Http.PostAsync("/_emulator/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);

        var current = JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/settings")).RootElement;
        foreach (var expected in JsonDocument.Parse(patch).RootElement.EnumerateObject())
        {
            Assert.Equal(expected.Value.GetDouble(), current.GetProperty(expected.Name).GetDouble());
        }
        var faults = host.Server.Options.Faults;
        Assert.Equal(-12, faults.Seed);
        Assert.Equal(0.4, faults.DownloadStallRate);
        Assert.Equal(12345, faults.DownloadSlowBytesPerSecond);

        foreach (var bad in new[] { "{\"api5xxRate\":1.5}", "{\"downloadStallRate\":-0.1}", "{\"apiResetRate\":\"0.1\"}", "{\"faultSeed\":1.5}" })
        {
            using var response = await host.Http.PostAsync("/_emulator/settings", new StringContent(bad, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [Fact]
    public async Task Reset_zeroes_fault_counters()
    {
        await using var host = await StartAsync(o => o.Faults.Api5xxRate = 1.0);
        await host.CallAsync();
        Assert.Equal(1, Stat(await host.StatsAsync(), "faultsInjected"));
        using var reset = await host.Http.PostAsync("/_emulator/reset", null);
        var stats = await host.StatsAsync();
        Assert.Equal(0, Stat(stats, "faultsInjected"));
        Assert.Equal(0, Stat(stats, "faultApi5xx"));
        Assert.Equal(1.0, host.Server.Options.Faults.Api5xxRate);
    }

    [Fact]
    public void Command_line_sets_every_fault_option_and_help_lists_them()
    {
        var options = CommandLine.Parse([
            "--fault-seed", "-3", "--fault-api-5xx", "0.05", "--fault-api-throttle=0.1", "--fault-api-system-error", "0.15",
            "--fault-api-reset", "0.2", "--fault-api-stall", "0.25", "--fault-clock-skew-seconds", "-1200", "--fault-download-5xx", "0.3",
            "--fault-download-truncate", "0.35", "--fault-download-stall", "1", "--fault-download-bytes-per-second", "65536",
            "--fault-expire-next-downloads", "4",
        ], out _, out var error);
        Assert.Null(error);
        var f = options!.Faults;
        Assert.Equal(-3, f.Seed);
        Assert.Equal(0.05, f.Api5xxRate);
        Assert.Equal(0.1, f.ApiThrottleRate);
        Assert.Equal(0.15, f.ApiSystemErrorRate);
        Assert.Equal(0.2, f.ApiResetRate);
        Assert.Equal(0.25, f.ApiStallRate);
        Assert.Equal(-1200, f.ClockSkewSeconds);
        Assert.Equal(0.3, f.Download5xxRate);
        Assert.Equal(0.35, f.DownloadTruncateRate);
        Assert.Equal(1.0, f.DownloadStallRate);
        Assert.Equal(65536, f.DownloadSlowBytesPerSecond);
        Assert.Equal(4, f.ExpireNextDownloads);

        Assert.Equal(EmulatorFaults.DefaultSeed, CommandLine.Parse(Array.Empty<string>(), out _, out _)!.Faults.Seed);
        foreach (var bad in new[] { "1.5", "-0.1", "abc", "" })
        {
            Assert.Null(CommandLine.Parse(["--fault-api-5xx", bad], out _, out var message));
            Assert.False(string.IsNullOrEmpty(message));
        }
        foreach (var option in new[] { "--fault-seed", "--fault-api-5xx", "--fault-api-throttle", "--fault-api-system-error", "--fault-api-reset",
                     "--fault-api-stall", "--fault-clock-skew-seconds", "--fault-download-5xx", "--fault-download-truncate",
                     "--fault-download-stall", "--fault-download-bytes-per-second", "--fault-expire-next-downloads" })
        {
            Assert.Contains(option, CommandLine.Help);
        }
    }
}
