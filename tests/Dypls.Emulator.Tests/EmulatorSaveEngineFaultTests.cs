using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dypls.Emulator;
using Xunit;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

/// <summary>
/// The emulator features the save engine is proven with: the RAM-denied identity, bodies that never
/// end or never start, wrong bytes at the right length, If-Range, changing a recording, the object hook and the counter
/// of requests no endpoint handles.
/// </summary>
public class EmulatorSaveEngineFaultTests
{
    private static long Stat(JsonElement stats, string name) => stats.GetProperty(name).GetInt64();

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "Timed out waiting until " + what);
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Reads a body until it ends or until <paramref name="idle"/> passes with nothing new; returns what came and
    /// whether the body ended (false: the read was still waiting when the client gave up).
    /// </summary>
    private static async Task<(byte[] Received, bool Ended)> ReadWithIdleTimeoutAsync(HttpResponseMessage response, TimeSpan idle)
    {
        var stream = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var buffer = new byte[8192];
        while (true)
        {
            using var cts = new CancellationTokenSource(idle);
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                return (received.ToArray(), false);
            }
            if (n == 0)
            {
                return (received.ToArray(), true);
            }
            received.Write(buffer, 0, n);
        }
    }

#pragma warning disable CA5351 // OSS ETags are MD5 digests: the test recomputes one
    private static string Md5Hex(byte[] bytes) => Convert.ToHexString(MD5.HashData(bytes));
#pragma warning restore CA5351

    private static string Unquote(EntityTagHeaderValue? etag) => etag!.Tag.Trim('"');

    // --- 1. The RAM-denied identity -------------------------------------------------------------------------------

    [Fact]
    public async Task Denied_key_authenticates_then_gets_403_Forbidden_RAM_with_the_gateway_body()
    {
        await using var host = await StartAsync();
        var r = await host.CallAsync(accessKeyId: EmulatorDefaults.DeniedAccessKeyId, accessKeySecret: EmulatorDefaults.DeniedAccessKeySecret);

        Assert.Equal(HttpStatusCode.Forbidden, r.Status);
        Assert.Equal("Forbidden.RAM", r["Code"]);
        Assert.StartsWith("User not authorized to operate on the specified resource", r["Message"]);
        Assert.Matches("^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$", r["RequestId"]);
        Assert.Contains("Forbidden.RAM", r["Recommend"]);
        Assert.Equal(EmulatorDefaults.ApiHostId, r["HostId"]);
        Assert.Null(r["DownloadUrl"]);

        var xml = await host.CallAsync(ApiParameters(format: "XML"), accessKeyId: EmulatorDefaults.DeniedAccessKeyId,
            accessKeySecret: EmulatorDefaults.DeniedAccessKeySecret);
        Assert.Equal(HttpStatusCode.Forbidden, xml.Status);
        Assert.NotNull(xml.Xml);
        Assert.Equal("Forbidden.RAM", xml["Code"]);

        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "ramDenied"));
        Assert.Equal(0, Stat(stats, "authFailures"));
        Assert.Equal(0, Stat(stats, "signatureFailures"));
        Assert.Equal(0, Stat(stats, "apiSucceeded"));
    }

    [Fact]
    public async Task Denied_key_is_judged_after_the_signature_checks()
    {
        await using var host = await StartAsync();
        var forged = await host.CallAsync(accessKeyId: EmulatorDefaults.DeniedAccessKeyId, accessKeySecret: "not-its-secret");
        Assert.Equal("SignatureDoesNotMatch", forged["Code"]);
        var stale = await host.CallAsync(accessKeyId: EmulatorDefaults.DeniedAccessKeyId, accessKeySecret: EmulatorDefaults.DeniedAccessKeySecret,
            timestamp: DateTimeOffset.UtcNow.AddHours(-2));
        Assert.Equal("InvalidTimeStamp.Expired", stale["Code"]);

        // The demo key is not affected.
        var ok = await host.CallAsync();
        Assert.Equal("OK", ok["Code"]);

        var stats = await host.StatsAsync();
        Assert.Equal(0, Stat(stats, "ramDenied"));
        Assert.Equal(1, Stat(stats, "signatureFailures"));
    }

    [Fact]
    public async Task RamDenyAll_setting_denies_every_key_until_switched_off()
    {
        await using var host = await StartAsync();
        await host.PatchSettingsAsync("{\"ramDenyAll\":true}");
        var denied = await host.CallAsync();
        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Equal("Forbidden.RAM", denied["Code"]);
        var sts = await host.CallAsync(accessKeyId: EmulatorDefaults.DemoStsAccessKeyId, accessKeySecret: EmulatorDefaults.DemoStsAccessKeySecret,
            securityToken: EmulatorDefaults.DemoStsSecurityToken);
        Assert.Equal("Forbidden.RAM", sts["Code"]);

        var settings = JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/settings")).RootElement;
        Assert.True(settings.GetProperty("ramDenyAll").GetBoolean());

        await host.PatchSettingsAsync("{\"ramDenyAll\":false}");
        Assert.Equal("OK", (await host.CallAsync())["Code"]);
        Assert.Equal(2, Stat(await host.StatsAsync(), "ramDenied"));
    }

    [Fact]
    public void Command_line_sets_every_new_option()
    {
        var options = CommandLine.Parse([
            "--denied-key", "LTAI5tOther:OtherSecret", "--fault-ram-deny-all", "--recording-version", "-3",
            "--fault-api-endless-error", "0.25", "--fault-download-endless-403", "0.5", "--fault-download-header-stall", "0.125",
            "--fault-download-corrupt", "0.75", "--fault-corrupt-next-downloads", "4",
        ], out _, out var error);
        Assert.Null(error);
        Assert.NotNull(options);
        var key = Assert.Single(options!.AccessKeys);
        Assert.Equal(new EmulatorAccessKey("LTAI5tOther", "OtherSecret", Denied: true), key);
        Assert.True(options.Faults.RamDenyAll);
        Assert.Equal(-3, options.RecordingVersion);
        Assert.Equal(0.25, options.Faults.ApiEndlessErrorRate);
        Assert.Equal(0.5, options.Faults.DownloadEndless403Rate);
        Assert.Equal(0.125, options.Faults.DownloadHeaderStallRate);
        Assert.Equal(0.75, options.Faults.DownloadCorruptRate);
        Assert.Equal(4, options.Faults.CorruptNextDownloads);

        Assert.Null(CommandLine.Parse(["--denied-key", "no-secret"], out _, out var bad));
        Assert.Contains("--denied-key", bad);
        Assert.Null(CommandLine.Parse(["--fault-download-corrupt", "2"], out _, out bad));
        Assert.Contains("--fault-download-corrupt", bad);
    }

    [Fact]
    public async Task Denied_key_from_the_command_line_is_denied()
    {
        await using var host = await StartAsync(o => o.AccessKeys.Add(new EmulatorAccessKey("LTAI5tOther", "OtherSecret", Denied: true)));
        var r = await host.CallAsync(accessKeyId: "LTAI5tOther", accessKeySecret: "OtherSecret");
        Assert.Equal("Forbidden.RAM", r["Code"]);
    }

    [Fact]
    public async Task Metadata_unreachable_drops_every_metadata_connection_and_counts_it()
    {
        await using var host = await StartAsync(o => o.EcsRole = "DyplsRole");
        using (var ok = await host.Http.GetAsync("/latest/meta-data/ram/security-credentials/"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }
        await host.PatchSettingsAsync("{\"metadataUnreachable\":true}");
        await Assert.ThrowsAsync<HttpRequestException>(() => host.Http.GetAsync("/latest/meta-data/ram/security-credentials/"));
        using var put = new HttpRequestMessage(HttpMethod.Put, "/latest/api/token");
        put.Headers.Add("X-aliyun-ecs-metadata-token-ttl-seconds", "60");
        await Assert.ThrowsAsync<HttpRequestException>(() => host.Http.SendAsync(put));
        Assert.Equal(3, Stat(await host.StatsAsync(), "metadataRequests"));
        Assert.True(CommandLine.Parse(["--fault-metadata-unreachable"], out _, out _)!.Faults.MetadataUnreachable);
    }

    // --- 4. RPC: an error body that never ends --------------------------------------------------------------------

    [Fact]
    public async Task Api_endless_error_sends_a_400_and_part_of_its_body_then_nothing()
    {
        await using var host = await StartAsync(o => o.Faults.ApiEndlessErrorRate = 1.0);
        var signed = Dypls.Signing.RpcSigner.SignRequest("GET", ApiParameters(), EmulatorDefaults.DemoAccessKeyId, EmulatorDefaults.DemoAccessKeySecret,
            null, DateTimeOffset.UtcNow, Guid.NewGuid().ToString("N"));
        using var response = await host.Http.GetAsync("/?" + Dypls.Signing.RpcSigner.ToQueryString(signed), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var promised = response.Content.Headers.ContentLength!.Value;

        var (received, ended) = await ReadWithIdleTimeoutAsync(response, TimeSpan.FromMilliseconds(700));
        Assert.False(ended, "the body must not end");
        Assert.InRange(received.Length, 1, promised - 1);
        var text = Encoding.UTF8.GetString(received);
        Assert.StartsWith("{\"RequestId\":\"", text);
        Assert.DoesNotContain("Code", text);

        await WaitUntilAsync(() => host.Server.Stats.CurrentRequests == 0, "the stalled answer ends once the client left");
        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "faultApiEndlessError"));
        Assert.Equal(1, Stat(stats, "faultsInjected"));
        Assert.Equal(0, Stat(stats, "apiSucceeded"));
    }

    // --- 2. Download: a 403 whose body never ends ----------------------------------------------------------------

    [Fact]
    public async Task Download_endless_403_sends_the_start_of_an_OSS_error_then_nothing()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("call-endless");
        await host.PatchSettingsAsync("{\"downloadEndless403Rate\":1}");
        using var response = await host.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Headers.ETag);
        var promised = response.Content.Headers.ContentLength!.Value;

        var (received, ended) = await ReadWithIdleTimeoutAsync(response, TimeSpan.FromMilliseconds(700));
        Assert.False(ended, "the body must not end");
        Assert.InRange(received.Length, 1, promised - 1);
        var text = Encoding.UTF8.GetString(received);
        Assert.StartsWith("<?xml", text);
        Assert.Contains("<Error>", text);
        Assert.DoesNotContain("<Code>", text);

        await WaitUntilAsync(() => host.Server.Stats.CurrentRequests == 0, "the stalled download ends once the client left");
        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "faultDownloadEndless403"));
        Assert.Equal(0, Stat(stats, "downloadBytes"));

        // HEAD is never stalled by it.
        using var head = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
    }

    // --- 3. Download: 200 headers, then not one byte --------------------------------------------------------------

    [Fact]
    public async Task Download_header_stall_sends_200_headers_and_no_body_byte()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("call-headers");
        var expected = await host.ExpectedRecordingAsync("call-headers");
        await host.PatchSettingsAsync("{\"downloadHeaderStallRate\":1}");
        using var response = await host.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected.Length, response.Content.Headers.ContentLength);
        Assert.Equal(Md5Hex(expected), Unquote(response.Headers.ETag));

        var (received, ended) = await ReadWithIdleTimeoutAsync(response, TimeSpan.FromMilliseconds(700));
        Assert.False(ended);
        Assert.Empty(received);

        await WaitUntilAsync(() => host.Server.Stats.CurrentRequests == 0, "the stalled download ends once the client left");
        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "faultDownloadHeaderStall"));
        Assert.Equal(0, Stat(stats, "downloadBytes"));
    }

    [Fact]
    public async Task Download_header_stall_applies_to_ranges_too()
    {
        await using var host = await StartAsync(o => o.Faults.DownloadHeaderStallRate = 1.0);
        var url = await host.DownloadUrlAsync("call-headers-range");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(1000, null);
        using var response = await host.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var (received, ended) = await ReadWithIdleTimeoutAsync(response, TimeSpan.FromMilliseconds(500));
        Assert.False(ended);
        Assert.Empty(received);
    }

    // --- 6. Download: the right length, wrong bytes ---------------------------------------------------------------

    [Fact]
    public async Task Corrupt_budget_sends_the_right_length_with_one_wrong_byte_then_the_real_bytes()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("call-corrupt");
        var expected = await host.ExpectedRecordingAsync("call-corrupt");
        await host.PatchSettingsAsync("{\"corruptNextDownloads\":1}");

        using (var bad = await host.Http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
            var body = await bad.Content.ReadAsByteArrayAsync();
            Assert.Equal(expected.Length, body.Length);
            Assert.Equal(Md5Hex(expected), Unquote(bad.Headers.ETag));
            Assert.NotEqual(Unquote(bad.Headers.ETag), Md5Hex(body));
            Assert.Single(Enumerable.Range(0, body.Length), i => body[i] != expected[i]);
        }
        var settings = JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/settings")).RootElement;
        Assert.Equal(0, settings.GetProperty("corruptNextDownloads").GetInt32());

        var good = await host.Http.GetByteArrayAsync(url);
        Assert.Equal(expected, good);
        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "faultDownloadCorrupt"));
        Assert.Equal(1, Stat(stats, "faultsInjected"));
    }

    [Fact]
    public async Task Corrupt_rate_spoils_a_range_answer_as_well()
    {
        await using var host = await StartAsync(o => o.Faults.DownloadCorruptRate = 1.0);
        var url = await host.DownloadUrlAsync("call-corrupt-range");
        var expected = await host.ExpectedRecordingAsync("call-corrupt-range");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(30_000, null);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        var part = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(expected.Length - 30_000, part.Length);
        Assert.NotEqual(expected.AsSpan(30_000).ToArray(), part);
        Assert.Equal(1, Stat(await host.StatsAsync(), "faultDownloadCorrupt"));
    }

    // --- 5. If-Range as OSS does it -------------------------------------------------------------------------------

    private static async Task<(HttpStatusCode Status, byte[] Body)> GetRangeAsync(EmulatorTestHost host, string url, string? ifRange)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = new RangeHeaderValue(1000, null);
        if (ifRange is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Range", ifRange);
        }
        using var response = await host.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task If_Range_with_the_current_validator_resumes_and_any_other_sends_the_whole_object()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("call-ifrange");
        var expected = await host.ExpectedRecordingAsync("call-ifrange");
        using var head = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        var etag = head.Headers.ETag!.ToString();
        var lastModified = head.Content.Headers.LastModified!.Value;

        var same = await GetRangeAsync(host, url, etag);
        Assert.Equal(HttpStatusCode.PartialContent, same.Status);
        Assert.Equal(expected.AsSpan(1000).ToArray(), same.Body);

        var byDate = await GetRangeAsync(host, url, lastModified.ToString("R", CultureInfo.InvariantCulture));
        Assert.Equal(HttpStatusCode.PartialContent, byDate.Status);

        Assert.Equal(2, Stat(await host.StatsAsync(), "rangeRequests"));
        foreach (var other in new[]
                 {
                     "\"0123456789ABCDEF0123456789ABCDEF\"", "W/" + etag,
                     lastModified.AddSeconds(-1).ToString("R", CultureInfo.InvariantCulture), "not a validator",
                 })
        {
            var whole = await GetRangeAsync(host, url, other);
            Assert.Equal(HttpStatusCode.OK, whole.Status);
            Assert.Equal(expected, whole.Body);
        }
        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "rangeRequests"));
        Assert.Equal(4, Stat(stats, "ifRangeIgnored"));
    }

    // --- 7. Changing a recording between two runs -----------------------------------------------------------------

    [Fact]
    public async Task Recording_version_changes_bytes_ETag_and_Last_Modified_and_version_0_restores_them()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("call-version");
        var v0 = await host.ExpectedRecordingAsync("call-version");
        var other0 = await host.ExpectedRecordingAsync("call-other");
        using var head0 = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));

        await host.PatchSettingsAsync("{\"recordingVersion\":1}");
        var v1 = await host.ExpectedRecordingAsync("call-version");
        Assert.Equal(v0.Length, v1.Length);
        Assert.NotEqual(v0, v1);
        Assert.Equal(v0.AsSpan(0, 10).ToArray(), v1.AsSpan(0, 10).ToArray()); // the same ID3 header
        Assert.NotEqual(other0, await host.ExpectedRecordingAsync("call-other"));
        using var head1 = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url));
        Assert.NotEqual(head0.Headers.ETag, head1.Headers.ETag);
        Assert.Equal(Md5Hex(v1), Unquote(head1.Headers.ETag));
        Assert.True(head1.Content.Headers.LastModified > head0.Content.Headers.LastModified);

        // A resume with the old ETag gets the new object, whole.
        var resumed = await GetRangeAsync(host, url, head0.Headers.ETag!.ToString());
        Assert.Equal(HttpStatusCode.OK, resumed.Status);
        Assert.Equal(v1, resumed.Body);
        Assert.Equal(v1, await host.Http.GetByteArrayAsync(url));

        await host.PatchSettingsAsync("{\"recordingVersion\":0}");
        Assert.Equal(v0, await host.ExpectedRecordingAsync("call-version"));
        Assert.Equal(v0, await host.Http.GetByteArrayAsync(url));
    }

    [Fact]
    public async Task Recording_versions_per_CallId_change_only_that_recording()
    {
        await using var host = await StartAsync();
        var a0 = await host.ExpectedRecordingAsync("call-a");
        var b0 = await host.ExpectedRecordingAsync("call-b");
        await host.PatchSettingsAsync("{\"recordingVersions\":{\"call-a\":7}}");
        var a7 = await host.ExpectedRecordingAsync("call-a");
        Assert.NotEqual(a0, a7);
        Assert.Equal(b0, await host.ExpectedRecordingAsync("call-b"));

        var settings = JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/settings")).RootElement;
        Assert.Equal(7, settings.GetProperty("recordingVersions").GetProperty("call-a").GetInt32());

        // The same version gives the same bytes again; null removes the override.
        await host.PatchSettingsAsync("{\"recordingVersion\":7}");
        Assert.Equal(a7, await host.ExpectedRecordingAsync("call-a"));
        Assert.NotEqual(b0, await host.ExpectedRecordingAsync("call-b"));
        await host.PatchSettingsAsync("{\"recordingVersion\":0,\"recordingVersions\":{\"call-a\":null}}");
        Assert.Equal(a0, await host.ExpectedRecordingAsync("call-a"));

        using var bad = await host.Http.PostAsync("/_emulator/settings",
            new StringContent("{\"recordingVersions\":{\"call-a\":\"x\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    // --- 8. A recording at any object path ------------------------------------------------------------------------

    [Theory]
    [InlineData("evil.ps1", "audio/mpeg")]
    [InlineData("dir/setup.exe", "application/octet-stream")]
    [InlineData("run.bat", "application/x-msdos-program")]
    [InlineData("noextension", "audio/mpeg")]
    public async Task Object_hook_serves_a_CallId_at_any_name_with_the_chosen_content_type(string name, string contentType)
    {
        await using var host = await StartAsync();
        var expected = await host.ExpectedRecordingAsync("call-hook");
        var query = "?CallId=call-hook&Expires=4102444800&Signature=x" + (contentType == "audio/mpeg" ? "" : "&contentType=" + Uri.EscapeDataString(contentType));
        using var response = await host.Http.GetAsync("/_emulator/object/" + name + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(Md5Hex(expected), Unquote(response.Headers.ETag));

        using var ranged = new HttpRequestMessage(HttpMethod.Get, "/_emulator/object/" + name + query);
        ranged.Headers.Range = new RangeHeaderValue(100, 199);
        using var part = await host.Http.SendAsync(ranged);
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Equal(expected.AsSpan(100, 100).ToArray(), await part.Content.ReadAsByteArrayAsync());

        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "objectHookRequests"));
        Assert.Equal(2, Stat(stats, "downloadRequests"));
    }

    [Fact]
    public async Task Object_hook_without_a_CallId_is_NoSuchKey_and_honours_download_faults()
    {
        await using var host = await StartAsync();
        using var missing = await host.Http.GetAsync("/_emulator/object/x.mp3");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("<Code>NoSuchKey</Code>", await missing.Content.ReadAsStringAsync());

        await host.PatchSettingsAsync("{\"corruptNextDownloads\":1}");
        var expected = await host.ExpectedRecordingAsync("call-hook-corrupt");
        var body = await host.Http.GetByteArrayAsync("/_emulator/object/x.ps1?CallId=call-hook-corrupt");
        Assert.Equal(expected.Length, body.Length);
        Assert.NotEqual(expected, body);
    }

    // --- Requests meant for somebody else -------------------------------------------------------------------------

    [Fact]
    public async Task Requests_no_endpoint_handles_are_counted_even_when_sent_through_the_emulator_as_a_proxy()
    {
        await using var host = await StartAsync();
        using (var nowhere = await host.Http.GetAsync("/nowhere/x.mp3"))
        {
            Assert.Equal(HttpStatusCode.NotFound, nowhere.StatusCode);
        }
        using var viaProxy = new HttpClient(new HttpClientHandler { Proxy = new WebProxy(host.Server.BaseUri), UseProxy = true });
        using (var foreign = await viaProxy.GetAsync("http://recordings.example.com/x.mp3?Expires=4102444800&Signature=abc"))
        {
            Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        }
        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "unroutedRequests"));
        Assert.Equal(0, Stat(stats, "downloadRequests"));
        Assert.Equal(0, Stat(stats, "apiRequests"));
    }

    // --- Fault bands at rate 0 leave the seeded sequences alone ------------------------------------------------------

    [Fact]
    public void New_fault_bands_at_rate_0_leave_the_seeded_sequences_unchanged()
    {
        var plain = new EmulatorFaults { Seed = 42, Download5xxRate = 0.2, DownloadTruncateRate = 0.2, Api5xxRate = 0.3 };
        var extended = new EmulatorFaults
        {
            Seed = 42, Download5xxRate = 0.2, DownloadTruncateRate = 0.2, Api5xxRate = 0.3,
            DownloadEndless403Rate = 0, DownloadHeaderStallRate = 0, DownloadCorruptRate = 0, ApiEndlessErrorRate = 0,
        };
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal(plain.NextDownloadFault(out var f1), extended.NextDownloadFault(out var f2));
            Assert.Equal(f1, f2);
            Assert.Equal(plain.NextApiFault(), extended.NextApiFault());
        }

        var all = new EmulatorFaults { Seed = 7, DownloadEndless403Rate = 0.25, DownloadHeaderStallRate = 0.25, DownloadCorruptRate = 0.25 };
        var kinds = Enumerable.Range(0, 400).Select(i => all.NextDownloadFault(out var within)).ToList();
        Assert.Contains(DownloadFault.Endless403, kinds);
        Assert.Contains(DownloadFault.HeaderStall, kinds);
        Assert.Contains(DownloadFault.Corrupt, kinds);
        Assert.Contains(DownloadFault.None, kinds);
        Assert.DoesNotContain(DownloadFault.Truncate, kinds);
    }
}
