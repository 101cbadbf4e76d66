using System.Net;
using System.Text;
using System.Text.Json;
using Dypls.Emulator;
using Xunit;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

public class EmulatorControlTests
{
    private static readonly string[] StatsFields =
    {
        "apiRequests", "apiSucceeded", "signatureFailures", "authFailures", "throttled", "downloadRequests",
        "rangeRequests", "downloadBytes", "expiredDownloads", "maxConcurrentRequests", "maxConcurrentDownloads", "metadataRequests", "cutDownloads",
        "faultsInjected", "faultApi5xx", "faultApiThrottle", "faultApiSystemError", "faultApiReset", "faultApiStall", "faultDownload5xx",
        "faultDownloadTruncate", "faultDownloadStall", "faultDownloadExpired",
        "stsRequests", "stsIssued", "stsAssumeRole", "stsAssumeRoleWithOidc", "stsFailures", "credentialsUriRequests",
        "faultApiEndlessError", "faultDownloadEndless403", "faultDownloadHeaderStall", "faultDownloadCorrupt",
        "ramDenied", "ifRangeIgnored", "objectHookRequests", "unroutedRequests", "interruptedDownloadBytes", "proxyConnectRequests",
        "lastProxyConnectTarget",
        "mnsRequests", "mnsReceives", "mnsMessagesReceived", "mnsDeletes", "mnsDeleteRequests", "mnsChangeVisibility", "mnsRedeliveries",
        "mnsTokens", "mnsSignatureFailures", "callTimeMismatches", "mnsDeletesBeforeServed", "faultMns5xx", "faultMnsReset", "faultMnsSlow",
    };

    [Fact]
    public async Task Stats_have_every_field_and_reset_zeroes_them()
    {
        await using var host = await StartAsync();
        await host.CallAsync();
        var stats = await host.StatsAsync();
        Assert.Equal(StatsFields.OrderBy(f => f), stats.EnumerateObject().Select(p => p.Name).OrderBy(f => f));
        Assert.Equal(1, stats.GetProperty("apiRequests").GetInt64());

        using var reset = await host.Http.PostAsync("/_emulator/reset", null);
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        stats = await host.StatsAsync();
        Assert.Equal(0, stats.GetProperty("apiRequests").GetInt64());
        Assert.Equal(0, stats.GetProperty("apiSucceeded").GetInt64());
        Assert.Equal(0, host.Server.Stats.ApiRequests);
    }

    [Fact]
    public async Task Max_concurrent_requests_sees_parallel_calls()
    {
        await using var host = await StartAsync(o => o.ApiLatencyMs = 300);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => host.CallAsync()));
        Assert.True((await host.StatsAsync()).GetProperty("maxConcurrentRequests").GetInt64() >= 2);
    }

    [Fact]
    public async Task Max_concurrent_downloads_counts_open_downloads_only()
    {
        await using var host = await StartAsync(o => o.DownloadLatencyMs = 1500);
        var urls = await Task.WhenAll(Enumerable.Range(0, 3).Select(i => host.DownloadUrlAsync("mcd-" + i)));
        Assert.Equal(0, (await host.StatsAsync()).GetProperty("maxConcurrentDownloads").GetInt64());
        // Three downloads held open together by the latency (each waits far longer than it takes to start the others).
        await Task.WhenAll(urls.Select(u => host.Http.GetByteArrayAsync(new Uri(u))));
        var stats = await host.StatsAsync();
        Assert.Equal(3, stats.GetProperty("maxConcurrentDownloads").GetInt64());
        Assert.Equal(3, stats.GetProperty("downloadRequests").GetInt64());
        using var reset = await host.Http.PostAsync("/_emulator/reset", null);
        Assert.Equal(0, (await host.StatsAsync()).GetProperty("maxConcurrentDownloads").GetInt64());
    }

    [Fact]
    public async Task Settings_patch_runtime_options_and_reject_unknown_names()
    {
        await using var host = await StartAsync();
        await host.PatchSettingsAsync("{\"urlTtlSeconds\":60,\"qps\":5,\"apiLatencyMs\":1,\"downloadLatencyMs\":2,\"recordingSize\":1234}");
        Assert.Equal(60, host.Server.Options.UrlTtlSeconds);
        Assert.Equal(5, host.Server.Options.Qps);
        Assert.Equal(1, host.Server.Options.ApiLatencyMs);
        Assert.Equal(2, host.Server.Options.DownloadLatencyMs);
        Assert.Equal(1234, host.Server.Options.RecordingSize);

        var current = JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/settings")).RootElement;
        Assert.Equal(60, current.GetProperty("urlTtlSeconds").GetInt32());

        using var bad = await host.Http.PostAsync("/_emulator/settings", new StringContent("{\"nope\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using var notJson = await host.Http.PostAsync("/_emulator/settings", new StringContent("nope", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
    }

    [Fact]
    public async Task Recording_endpoint_needs_a_CallId()
    {
        await using var host = await StartAsync();
        using var response = await host.Http.GetAsync("/_emulator/recording");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Base_uri_is_loopback_with_the_real_port()
    {
        await using var host = await StartAsync();
        Assert.Equal("127.0.0.1", host.Server.BaseUri.Host);
        Assert.NotEqual(0, host.Server.BaseUri.Port);
        Assert.EndsWith("/", host.Server.BaseUri.ToString());
    }
}
