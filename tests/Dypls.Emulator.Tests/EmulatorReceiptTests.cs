using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dypls.Emulator;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

/// <summary>Receipts on the queues: the control endpoint, the CallTime check, deletes before the recording was served, MNS faults.</summary>
public sealed class EmulatorReceiptTests
{
    private const string Queue = EmulatorDefaults.RecordingQueue;

    private static long Stat(JsonElement json, string name) => json.GetProperty(name).GetInt64();

    private static JsonElement Body(Dictionary<string, string> message) =>
        JsonDocument.Parse(Convert.FromBase64String(message["MessageBody"])).RootElement.Clone();

    /// <summary>call_time, a number or a numeric string of epoch ms, as Beijing wall-clock time to the second.</summary>
    private static string CallTimeOf(JsonElement body)
    {
        var value = body.GetProperty("call_time");
        var ms = value.ValueKind == JsonValueKind.String ? long.Parse(value.GetString()!, CultureInfo.InvariantCulture) : value.GetInt64();
        return ChinaTime(DateTimeOffset.FromUnixTimeMilliseconds(ms));
    }

    private static Dictionary<string, string> UrlCall(JsonElement body, string? callTime = null)
    {
        var p = ApiParameters(body.GetProperty("call_id").GetString()!);
        p["PoolKey"] = body.GetProperty("pool_key").GetString()!;
        p["CallTime"] = callTime ?? CallTimeOf(body);
        return p;
    }

    [Fact]
    public async Task The_control_endpoint_enqueues_receipts_duplicates_poison_and_raw_bodies_and_reports_the_queue()
    {
        await using var host = await StartAsync();
        var answer = await MnsTestClient.EnqueueAsync(host, "Alicom-Queue-42-SecretRecording-x",
            "{\"count\":3,\"callIdPrefix\":\"ctl-\",\"duplicates\":2,\"noRecording\":1,\"bodies\":[\"{\\\"call_id\\\":\\\"raw-1\\\",\\\"call_time\\\":1700000000000}\",\"not json\"]}");
        Assert.Equal("SecretRecording", answer.GetProperty("messageType").GetString());
        var ids = answer.GetProperty("messageIds").EnumerateArray().Select(e => e.GetString()).ToList();
        var callIds = answer.GetProperty("callIds").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.Equal(8, ids.Count);
        Assert.Equal(8, ids.Distinct().Count());
        Assert.All(callIds.Take(3), c => Assert.StartsWith("ctl-", c));
        Assert.Equal(callIds.Take(2), callIds.Skip(3).Take(2));
        Assert.StartsWith("norecord", callIds[5]);
        Assert.Equal("raw-1", callIds[6]);
        Assert.Null(callIds[7]);

        var mns = await MnsTestClient.ForAsync(host);
        var received = (await mns.BatchReceiveAsync("Alicom-Queue-42-SecretRecording-x", 16)).Messages;
        Assert.Equal(8, received.Count);
        // A duplicate is the same body as another message.
        Assert.Equal(received[0]["MessageBody"], received[3]["MessageBody"]);
        Assert.NotEqual(received[0]["MessageId"], received[3]["MessageId"]);
        Assert.Equal("not json", Encoding.UTF8.GetString(Convert.FromBase64String(received[7]["MessageBody"])));
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync("Alicom-Queue-42-SecretRecording-x", received[7]["ReceiptHandle"])).Status);

        var state = await MnsTestClient.QueueStateAsync(host, "Alicom-Queue-42-SecretRecording-x");
        Assert.Equal((0, 7, 7, 1), (Stat(state, "visible"), Stat(state, "inFlight"), Stat(state, "total"), Stat(state, "deleted")));
        var first = state.GetProperty("messages")[0];
        Assert.Equal(ids[0], first.GetProperty("messageId").GetString());
        Assert.Equal(callIds[0], first.GetProperty("callId").GetString());
        Assert.Equal(1, first.GetProperty("dequeueCount").GetInt32());
        Assert.False(first.GetProperty("visible").GetBoolean());

        using var unknown = await host.Http.GetAsync("/_emulator/queues/nope");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using var bad = await host.Http.PostAsync("/_emulator/queues/" + Queue, new StringContent("{\"count\":-1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Reset_empties_the_queues_back_to_the_start_state()
    {
        await using var host = await StartAsync(o => o.Receipts = 2);
        var start = await MnsTestClient.QueueStateAsync(host, Queue);
        Assert.Equal(2, Stat(start, "visible"));
        await MnsTestClient.EnqueueAsync(host, Queue, "{\"count\":3}");
        await MnsTestClient.EnqueueAsync(host, "my-SecretReport", "{\"count\":1}");
        var mns = await MnsTestClient.ForAsync(host);
        await mns.ReceiveAsync(Queue);
        using (var reset = await host.Http.PostAsync("/_emulator/reset", null))
        {
            Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        }
        var after = await MnsTestClient.QueueStateAsync(host, Queue);
        Assert.Equal((2, 0, 2, 0), (Stat(after, "visible"), Stat(after, "inFlight"), Stat(after, "total"), Stat(after, "deleted")));
        Assert.Equal(start.GetProperty("messages")[0].GetProperty("callId").GetString(), after.GetProperty("messages")[0].GetProperty("callId").GetString());
        Assert.Equal(0, Stat(await MnsTestClient.QueueStateAsync(host, EmulatorDefaults.ReportQueue), "total"));
        using var gone = await host.Http.GetAsync("/_emulator/queues/my-SecretReport");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Equal(0, Stat(await host.StatsAsync(), "mnsReceives"));
    }

    [Fact]
    public async Task QueryRecordFileDownloadUrl_finds_a_receipts_recording_only_by_its_call_time_in_Beijing_time()
    {
        await using var host = await StartAsync(o => o.Receipts = 3);
        var mns = await MnsTestClient.ForAsync(host);
        var bodies = (await mns.BatchReceiveAsync(Queue, 3)).Messages.Select(Body).ToList();
        // Both JSON types of call_time are read the same way.
        Assert.Contains(bodies, b => b.GetProperty("call_time").ValueKind == JsonValueKind.String);
        foreach (var body in bodies)
        {
            var ok = await host.CallAsync(UrlCall(body));
            Assert.True(ok["Code"] == "OK", ok.ToString());
        }
        Assert.Equal(0, Stat(await host.StatsAsync(), "callTimeMismatches"));

        var receipt = bodies[0];
        var ms = receipt.GetProperty("call_time").ValueKind == JsonValueKind.String
            ? long.Parse(receipt.GetProperty("call_time").GetString()!, CultureInfo.InvariantCulture)
            : receipt.GetProperty("call_time").GetInt64();
        var instant = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        var wrong = new[]
        {
            instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture), // UTC, not Beijing
            ChinaTime(instant.AddSeconds(1)),                                                   // rounded up, not truncated
        };
        foreach (var callTime in wrong)
        {
            var refused = await host.CallAsync(UrlCall(receipt, callTime));
            Assert.Equal(HttpStatusCode.OK, refused.Status);
            Assert.Equal("isv.RECORD_FILE_NOT_EXIST", refused["Code"]);
        }
        Assert.Equal(2, Stat(await host.StatsAsync(), "callTimeMismatches"));
        // A CallId that came in no receipt is judged as before (retention only).
        Assert.Equal("OK", (await host.CallAsync(ApiParameters("not-from-a-receipt")))["Code"]);
    }

    [Fact]
    public async Task Deleting_a_receipt_before_its_recording_was_served_whole_is_counted()
    {
        await using var host = await StartAsync(o => { o.Receipts = 4; o.RecordingSize = 10_000; });
        var mns = await MnsTestClient.ForAsync(host);
        var messages = (await mns.BatchReceiveAsync(Queue, 4)).Messages;
        var urls = new List<Uri>();
        foreach (var m in messages)
        {
            var result = await host.CallAsync(UrlCall(Body(m)));
            urls.Add(new Uri(result["DownloadUrl"]!));
        }

        // 0: deleted without a download.
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync(Queue, messages[0]["ReceiptHandle"])).Status);
        Assert.Equal(1, Stat(await host.StatsAsync(), "mnsDeletesBeforeServed"));

        // 1: downloaded whole, then deleted.
        Assert.Equal(10_000, (await host.Http.GetByteArrayAsync(urls[1])).Length);
        await mns.DeleteAsync(Queue, messages[1]["ReceiptHandle"]);

        // 2: half, then a resume that completes it: served.
        await RangeAsync(host, urls[2], "bytes=0-4999");
        await RangeAsync(host, urls[2], "bytes=5000-");
        await mns.BatchDeleteAsync(Queue, [messages[2]["ReceiptHandle"]]);
        Assert.Equal(1, Stat(await host.StatsAsync(), "mnsDeletesBeforeServed"));

        // 3: only the start, and a HEAD: not served.
        await RangeAsync(host, urls[3], "bytes=0-99");
        using (var head = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, urls[3])))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }
        await mns.BatchDeleteAsync(Queue, [messages[3]["ReceiptHandle"]]);
        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "mnsDeletesBeforeServed"));
        Assert.Equal(4, Stat(stats, "mnsDeletes"));
    }

    [Fact]
    public async Task Deleting_a_poison_receipt_is_not_a_delete_before_served()
    {
        await using var host = await StartAsync();
        await MnsTestClient.EnqueueAsync(host, Queue, "{\"noRecording\":1}");
        var mns = await MnsTestClient.ForAsync(host);
        var message = (await mns.ReceiveAsync(Queue)).Messages.Single();
        var body = Body(message);
        Assert.StartsWith("norecord", body.GetProperty("call_id").GetString());
        // Its recording does not exist, whatever the CallTime: there is nothing to serve before the delete.
        Assert.Equal("isv.RECORD_FILE_NOT_EXIST", (await host.CallAsync(UrlCall(body)))["Code"]);
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync(Queue, message["ReceiptHandle"])).Status);
        var stats = await host.StatsAsync();
        Assert.Equal(0, Stat(stats, "mnsDeletesBeforeServed"));
        Assert.Equal(0, Stat(stats, "callTimeMismatches"));
    }

    [Fact]
    public async Task A_corrupted_body_does_not_count_as_served()
    {
        await using var host = await StartAsync(o => o.Receipts = 1);
        var mns = await MnsTestClient.ForAsync(host);
        var message = (await mns.ReceiveAsync(Queue)).Messages.Single();
        var url = new Uri((await host.CallAsync(UrlCall(Body(message))))["DownloadUrl"]!);
        await host.PatchSettingsAsync("{\"corruptNextDownloads\":1}");
        await host.Http.GetByteArrayAsync(url);
        await mns.DeleteAsync(Queue, message["ReceiptHandle"]);
        Assert.Equal(1, Stat(await host.StatsAsync(), "mnsDeletesBeforeServed"));
    }

    private static async Task RangeAsync(EmulatorTestHost host, Uri url, string range)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Range = RangeHeaderValue.Parse(range);
        using var response = await host.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        await response.Content.ReadAsByteArrayAsync();
    }

    [Fact]
    public async Task SecretReport_receipts_carry_string_times_and_a_record_url_that_downloads()
    {
        await using var host = await StartAsync();
        var answer = await MnsTestClient.EnqueueAsync(host, EmulatorDefaults.ReportQueue, "{\"count\":1}");
        Assert.Equal("SecretReport", answer.GetProperty("messageType").GetString());
        var mns = await MnsTestClient.ForAsync(host, "SecretReport");
        var body = Body((await mns.ReceiveAsync(EmulatorDefaults.ReportQueue)).Messages.Single());
        foreach (var field in new[] { "pool_key", "call_id", "phone_no", "secret_no", "peer_no", "call_time", "start_time", "release_time", "record_url" })
        {
            Assert.Equal(JsonValueKind.String, body.GetProperty(field).ValueKind);
        }
        Assert.Matches("^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}$", body.GetProperty("call_time").GetString());
        var callId = body.GetProperty("call_id").GetString()!;
        var bytes = await host.Http.GetByteArrayAsync(new Uri(body.GetProperty("record_url").GetString()!));
        Assert.Equal(await host.ExpectedRecordingAsync(callId), bytes);
        // Its call_time (a Beijing string here) is the CallTime the gateway expects.
        Assert.Equal("OK", (await host.CallAsync(UrlCall(body, body.GetProperty("call_time").GetString())))["Code"]);
    }

    [Fact]
    public async Task MNS_faults_answer_500_drop_the_connection_slow_down_and_deny_a_queue()
    {
        await using var host = await StartAsync(o => o.Receipts = 1);
        var mns = await MnsTestClient.ForAsync(host);
        await host.PatchSettingsAsync("{\"mns5xxNext\":1}");
        var failed = await mns.ReceiveAsync(Queue);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.Status);
        Assert.Equal("InternalError", failed.ErrorCode);

        await host.PatchSettingsAsync("{\"mnsResetNext\":1}");
        await Assert.ThrowsAsync<HttpRequestException>(() => mns.ReceiveAsync(Queue));

        await host.PatchSettingsAsync("{\"mnsSlowNext\":1,\"mnsSlowMs\":600}");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.OK, (await mns.ReceiveAsync(Queue)).Status);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(550), watch.Elapsed.ToString());

        await host.PatchSettingsAsync("{\"mnsDeniedQueue\":\"" + Queue + "\"}");
        var denied = await mns.ReceiveAsync(Queue);
        Assert.Equal(HttpStatusCode.Forbidden, denied.Status);
        Assert.Equal("AccessDenied", denied.ErrorCode);
        await host.PatchSettingsAsync("{\"mnsDeniedQueue\":null}");

        await host.PatchSettingsAsync("{\"mns5xxRate\":1}");
        Assert.Equal(HttpStatusCode.InternalServerError, (await mns.ReceiveAsync(Queue)).Status);
        await host.PatchSettingsAsync("{\"mns5xxRate\":0}");

        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "faultMns5xx"));
        Assert.Equal(1, Stat(stats, "faultMnsReset"));
        Assert.Equal(1, Stat(stats, "faultMnsSlow"));
        Assert.Equal(5, Stat(stats, "mnsRequests"));
    }

    [Fact]
    public async Task Queue_settings_round_trip_and_bad_values_are_refused()
    {
        await using var host = await StartAsync();
        await host.PatchSettingsAsync("{\"tokenLifetimeSeconds\":30,\"visibilityTimeoutSeconds\":5,\"pollingWaitSeconds\":2,\"mnsSlowRate\":0.5,\"mnsResetRate\":0.25,\"mnsDeniedQueue\":\"q\"}");
        var current = JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/settings")).RootElement;
        Assert.Equal(30, current.GetProperty("tokenLifetimeSeconds").GetInt32());
        Assert.Equal(5, current.GetProperty("visibilityTimeoutSeconds").GetInt32());
        Assert.Equal(2, current.GetProperty("pollingWaitSeconds").GetInt32());
        Assert.Equal(0.5, current.GetProperty("mnsSlowRate").GetDouble());
        Assert.Equal(0.25, current.GetProperty("mnsResetRate").GetDouble());
        Assert.Equal("q", current.GetProperty("mnsDeniedQueue").GetString());
        foreach (var bad in new[] { "{\"visibilityTimeoutSeconds\":0}", "{\"pollingWaitSeconds\":31}", "{\"mns5xxRate\":2}", "{\"mnsDeniedQueue\":1}" })
        {
            using var refused = await host.Http.PostAsync("/_emulator/settings", new StringContent(bad, Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
    }

    [Fact]
    public void The_command_line_sets_the_queue_options()
    {
        var options = CommandLine.Parse(["--token-lifetime", "60", "--visibility-timeout", "7", "--polling-wait", "3", "--receipts", "12",
            "--fault-mns-5xx", "0.1", "--fault-mns-reset", "0.2", "--fault-mns-slow", "0.3", "--fault-mns-slow-ms", "250",
            "--fault-mns-denied-queue", "q1"], out _, out var error)!;
        Assert.Null(error);
        Assert.Equal((60, 7, 3, 12), (options.TokenLifetimeSeconds, options.VisibilityTimeoutSeconds, options.PollingWaitSeconds, options.Receipts));
        Assert.Equal((0.1, 0.2, 0.3, 250, "q1"), (options.Faults.Mns5xxRate, options.Faults.MnsResetRate, options.Faults.MnsSlowRate,
            options.Faults.MnsSlowMs, options.Faults.MnsDeniedQueue));
        Assert.Null(CommandLine.Parse(["--polling-wait", "31"], out _, out _));
        foreach (var option in new[] { "--token-lifetime", "--visibility-timeout", "--polling-wait", "--receipts", "--fault-mns-5xx",
                     "--fault-mns-reset", "--fault-mns-slow", "--fault-mns-slow-ms", "--fault-mns-denied-queue" })
        {
            Assert.Contains(option, CommandLine.Help);
        }
    }
}
