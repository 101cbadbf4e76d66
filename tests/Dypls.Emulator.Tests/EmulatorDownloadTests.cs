using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Xml.Linq;
using Dypls.Emulator;
using Xunit;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

public class EmulatorDownloadTests
{
    private static async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(EmulatorTestHost host, string url, Action<HttpRequestMessage>? configure = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        configure?.Invoke(request);
        var response = await host.Http.SendAsync(request);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    private static string ErrorCode(byte[] body) => XDocument.Parse(System.Text.Encoding.UTF8.GetString(body)).Root!.Element("Code")!.Value;

    private static string ErrorMessage(byte[] body) => XDocument.Parse(System.Text.Encoding.UTF8.GetString(body)).Root!.Element("Message")!.Value;

    [Fact]
    public async Task Full_download_matches_the_recording_endpoint_and_carries_OSS_headers()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("call-0001");
        var (response, body) = await GetAsync(host, url);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = await host.ExpectedRecordingAsync("call-0001");
        Assert.Equal(65536, expected.Length);
        Assert.Equal(expected, body);
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal(65536, response.Content.Headers.ContentLength);
#pragma warning disable CA5351 // OSS ETags are MD5 digests: the test recomputes one
        Assert.Equal("\"" + Convert.ToHexString(MD5.HashData(body)) + "\"", response.Headers.ETag!.Tag);
#pragma warning restore CA5351
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.Equal("ID3", System.Text.Encoding.ASCII.GetString(body, 0, 3));

        var stats = await host.StatsAsync();
        Assert.Equal(1, stats.GetProperty("downloadRequests").GetInt64());
        Assert.Equal(65536, stats.GetProperty("downloadBytes").GetInt64());
    }

    [Fact]
    public async Task Recordings_are_deterministic_per_CallId()
    {
        await using var host = await StartAsync();
        var a1 = await host.ExpectedRecordingAsync("a");
        var a2 = await host.ExpectedRecordingAsync("a");
        var b = await host.ExpectedRecordingAsync("b");
        Assert.Equal(a1, a2);
        Assert.NotEqual(a1, b);
    }

    [Theory]
    [InlineData("bytes=10-19", 10, 19)]
    [InlineData("bytes=65000-", 65000, 65535)]
    [InlineData("bytes=-100", 65436, 65535)]
    [InlineData("bytes=65530-70000", 65530, 65535)]
    public async Task Range_gives_206_with_Content_Range(string range, long start, long end)
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("ranged");
        var expected = await host.ExpectedRecordingAsync("ranged");
        var (response, body) = await GetAsync(host, url, r => r.Headers.TryAddWithoutValidation("Range", range));

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(new ContentRangeHeaderValue(start, end, 65536), response.Content.Headers.ContentRange);
        Assert.Equal(expected[(int)start..((int)end + 1)], body);
        Assert.Equal(1, (await host.StatsAsync()).GetProperty("rangeRequests").GetInt64());
    }

    [Fact]
    public async Task Unsatisfiable_range_is_416()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("ranged");
        var (response, body) = await GetAsync(host, url, r => r.Headers.TryAddWithoutValidation("Range", "bytes=65536-"));
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, response.StatusCode);
        Assert.Equal("bytes */65536", response.Content.Headers.GetValues("Content-Range").Single());
        Assert.Equal("InvalidRange", ErrorCode(body));
    }

    [Fact]
    public async Task If_Range_with_another_etag_sends_the_whole_object()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("ranged");
        var (response, body) = await GetAsync(host, url, r =>
        {
            r.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
            r.Headers.TryAddWithoutValidation("If-Range", "\"0123\"");
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(65536, body.Length);
    }

    [Fact]
    public async Task Head_sends_headers_without_a_body()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("head-me");
        var (response, body) = await GetAsync(host, url, method: HttpMethod.Head);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(65536, response.Content.Headers.ContentLength);
        Assert.Empty(body);
        Assert.NotNull(response.Headers.ETag);
    }

    [Fact]
    public async Task Expired_url_is_403_AccessDenied()
    {
        await using var host = await StartAsync();
        await host.PatchSettingsAsync("{\"urlTtlSeconds\":1}");
        var url = await host.DownloadUrlAsync("short-lived");
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        var (response, body) = await GetAsync(host, url);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", ErrorCode(body));
        Assert.Equal("Request has expired.", ErrorMessage(body));
        Assert.Equal(1, (await host.StatsAsync()).GetProperty("expiredDownloads").GetInt64());
    }

    [Fact]
    public async Task Tampered_signature_or_expiry_is_403_SignatureDoesNotMatch()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("tamper");
        var tampered = url.Replace("Signature=", "Signature=AAAA", StringComparison.Ordinal);
        var (response, body) = await GetAsync(host, tampered);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", ErrorCode(body));

        var uri = new Uri(url);
        var expires = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query)["Expires"].ToString();
        var later = url.Replace("Expires=" + expires, "Expires=" + (long.Parse(expires, System.Globalization.CultureInfo.InvariantCulture) + 3600), StringComparison.Ordinal);
        (response, body) = await GetAsync(host, later);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("SignatureDoesNotMatch", ErrorCode(body));

        var otherObject = url.Replace("/FC123456_", "/FC123457_", StringComparison.Ordinal);
        (response, body) = await GetAsync(host, otherObject);
        Assert.Equal("SignatureDoesNotMatch", ErrorCode(body));
    }

    [Fact]
    public async Task Unsigned_download_is_403()
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync("unsigned");
        var (response, body) = await GetAsync(host, url[..url.IndexOf('?', StringComparison.Ordinal)]);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("AccessDenied", ErrorCode(body));
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("*")]
    [InlineData("~")]
    [InlineData("+")]
    [InlineData("/x/../y")]
    [InlineData("\"q\"")]
    [InlineData("中文呼叫")]
    [InlineData("mix !()*~ +/中 %20&=?#")]
    public async Task Awkward_CallIds_round_trip_through_the_url(string callId)
    {
        await using var host = await StartAsync();
        var url = await host.DownloadUrlAsync(callId);
        var objectName = new Uri(url).AbsolutePath["/secret-axb-record-files/".Length..];
        Assert.Equal(callId, DownloadUrlSigner.CallIdFrom(objectName));

        var (response, body) = await GetAsync(host, url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(await host.ExpectedRecordingAsync(callId), body);
    }

    [Fact]
    public void Object_names_round_trip_without_the_server()
    {
        foreach (var callId in new[] { "a", "a_b", "__", "x.mp3", "中文", new string('z', 100) })
        {
            foreach (var pool in new[] { "FC123456", "", "a_b/c", "中" })
            {
                var name = DownloadUrlSigner.ObjectNameFor(callId, pool);
                Assert.Matches("^[A-Za-z0-9_.-]+$", name);
                Assert.Equal(callId, DownloadUrlSigner.CallIdFrom(name));
            }
        }
        Assert.Null(DownloadUrlSigner.CallIdFrom("nounderscore.mp3"));
        Assert.Null(DownloadUrlSigner.CallIdFrom("pool_!!!.mp3"));
    }

    [Fact]
    public async Task Recordings_dir_files_are_served_when_present()
    {
        var dir = Directory.CreateTempSubdirectory("dypls-recordings-");
        try
        {
            var bytes = new byte[] { 1, 2, 3, 4, 5, 6, 7 };
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "from-file.mp3"), bytes);
            await File.WriteAllBytesAsync(Path.Combine(dir.FullName, "other-ext.wav"), new byte[] { 9, 9 });
            await using var host = await StartAsync(o => o.RecordingsDir = dir.FullName);

            var (response, body) = await GetAsync(host, await host.DownloadUrlAsync("from-file"));
            Assert.Equal(bytes, body);
#pragma warning disable CA5351 // OSS ETags are MD5 digests: the test recomputes one
            Assert.Equal("\"" + Convert.ToHexString(MD5.HashData(bytes)) + "\"", response.Headers.ETag!.Tag);
#pragma warning restore CA5351
            Assert.Equal(bytes, await host.ExpectedRecordingAsync("from-file"));

            (_, body) = await GetAsync(host, await host.DownloadUrlAsync("other-ext"));
            Assert.Equal(new byte[] { 9, 9 }, body);

            (_, body) = await GetAsync(host, await host.DownloadUrlAsync("../from-file"));
            Assert.Equal(65536, body.Length);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Recording_size_setting_changes_what_is_served()
    {
        await using var host = await StartAsync();
        await host.PatchSettingsAsync("{\"recordingSize\":1000}");
        var (_, body) = await GetAsync(host, await host.DownloadUrlAsync("sized"));
        Assert.Equal(1000, body.Length);
        Assert.Equal(await host.ExpectedRecordingAsync("sized"), body);
    }

    [Fact]
    public async Task Large_recording_streams()
    {
        const long size = 48L * 1024 * 1024;
        await using var host = await StartAsync(o => o.RecordingSize = size);
        var url = await host.DownloadUrlAsync("large");
        using var response = await host.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(size, response.Content.Headers.ContentLength);
        await using var stream = await response.Content.ReadAsStreamAsync();
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = new byte[81920];
        long total = 0;
        int n;
        while ((n = await stream.ReadAsync(buffer)) > 0)
        {
            md5.AppendData(buffer, 0, n);
            total += n;
        }
        Assert.Equal(size, total);
        Assert.Equal("\"" + Convert.ToHexString(md5.GetHashAndReset()) + "\"", response.Headers.ETag!.Tag);
    }

    [Fact]
    public async Task Download_latency_delays_the_first_byte()
    {
        await using var host = await StartAsync(o => o.DownloadLatencyMs = 300);
        var url = await host.DownloadUrlAsync("slow");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (response, _) = await GetAsync(host, url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(watch.ElapsedMilliseconds >= 250, watch.ElapsedMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("bytes=0-0", 100, 0L, 0L, true)]
    [InlineData("bytes=-0", 100, 0L, 0L, false)]
    [InlineData("bytes=100-", 100, 0L, 0L, false)]
    [InlineData("bytes=-500", 100, 0L, 99L, true)]
    [InlineData("bytes=0-", 0, 0L, 0L, false)]
    public void Range_parsing(string header, long length, long start, long end, bool satisfiable)
    {
        var range = OssDownloadEndpoint.ParseRange(header, length);
        Assert.NotNull(range);
        Assert.Equal(satisfiable, range!.Value.Satisfiable);
        if (satisfiable)
        {
            Assert.Equal(start, range.Value.Start);
            Assert.Equal(end, range.Value.End);
        }
    }

    [Theory]
    [InlineData("bytes=0-9,20-29")]
    [InlineData("bytes=abc")]
    [InlineData("items=0-9")]
    [InlineData("bytes=9-0")]
    public void Malformed_or_multiple_ranges_are_ignored(string header)
    {
        Assert.Null(OssDownloadEndpoint.ParseRange(header, 100));
    }
}
