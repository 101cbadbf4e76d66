using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dypls.Emulator;
using static Dypls.Emulator.Tests.EmulatorTestHost;

namespace Dypls.Emulator.Tests;

/// <summary>The MNS queue API of the emulator, driven by the tests' own MNS signer: receive, delete, visibility, signatures.</summary>
public sealed class EmulatorMnsTests
{
    private const string Queue = EmulatorDefaults.RecordingQueue;

    private static long Stat(JsonElement stats, string name) => stats.GetProperty(name).GetInt64();

    private static long Ms(string? text) => long.Parse(text!, System.Globalization.CultureInfo.InvariantCulture);

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "MNS's MessageBodyMD5.")]
    private static string Md5Hex(string text) => Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void The_test_signer_gives_the_documented_vector()
    {
        var stringToSign = MnsTestSigner.StringToSign("GET", "", "", "Thu, 09 Jul 2015 03:01:34 GMT",
            [new("x-mns-version", "2015-06-06")], "/MyQueue");
        Assert.Equal("GET\n\n\nThu, 09 Jul 2015 03:01:34 GMT\nx-mns-version:2015-06-06\n/MyQueue", stringToSign);
        Assert.Equal("uwx3yeWoILzgmvesW0BQSgfM7b8=", MnsTestSigner.Sign("TestAccessSecret", stringToSign));
        // The emulator's own implementation agrees on the same vector.
        Assert.Equal(stringToSign, MnsSignature.StringToSign("GET", "", "", "Thu, 09 Jul 2015 03:01:34 GMT", [new("X-MNS-Version", "2015-06-06")], "/MyQueue"));
        Assert.Equal("uwx3yeWoILzgmvesW0BQSgfM7b8=", MnsSignature.Sign("TestAccessSecret", stringToSign));
    }

    [Fact]
    public async Task BatchReceive_hands_out_receipts_with_every_MNS_field()
    {
        await using var host = await StartAsync(o => o.Receipts = 3);
        var mns = await MnsTestClient.ForAsync(host, queueName: Queue);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var answer = await mns.BatchReceiveAsync(Queue, 16, 0);
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("text/xml;charset=utf-8", answer.ContentType);
        Assert.Equal("Messages", answer.RootName);
        Assert.Equal(EmulatorDefaults.MnsNamespace, answer.Xml!.Root!.Name.NamespaceName);
        Assert.Equal(EmulatorDefaults.MnsVersion, answer.Headers.GetValues("x-mns-version").Single());
        Assert.False(string.IsNullOrEmpty(answer.Headers.GetValues("x-mns-request-id").Single()));
        var messages = answer.Messages;
        Assert.Equal(3, messages.Count);
        foreach (var m in messages)
        {
            Assert.Equal(Md5Hex(m["MessageBody"]), m["MessageBodyMD5"]);
            var json = JsonDocument.Parse(Convert.FromBase64String(m["MessageBody"])).RootElement;
            Assert.StartsWith("FC", json.GetProperty("pool_key").GetString());
            Assert.StartsWith("receipt-", json.GetProperty("call_id").GetString());
            Assert.True(json.TryGetProperty("sub_id", out _) || json.TryGetProperty("subs_id", out _));
            Assert.Equal("1", m["DequeueCount"]);
            Assert.Equal("8", m["Priority"]);
            Assert.InRange(Ms(m["FirstDequeueTime"]), before - 1, before + 5000);
            Assert.True(Ms(m["EnqueueTime"]) <= Ms(m["FirstDequeueTime"]));
            Assert.InRange(Ms(m["NextVisibleTime"]) - Ms(m["FirstDequeueTime"]), 29_000, 31_000);
            Assert.False(string.IsNullOrEmpty(m["MessageId"]));
        }
        // Both readings of the docs appear: sub_id and subs_id, call_time as a number and as a numeric string.
        var bodies = messages.Select(m => JsonDocument.Parse(Convert.FromBase64String(m["MessageBody"])).RootElement).ToList();
        Assert.Contains(bodies, b => b.TryGetProperty("subs_id", out _));
        Assert.Contains(bodies, b => b.TryGetProperty("sub_id", out _));
        Assert.Contains(bodies, b => b.GetProperty("call_time").ValueKind == JsonValueKind.String);
        Assert.Contains(bodies, b => b.GetProperty("call_time").ValueKind == JsonValueKind.Number);

        // Everything is in flight now: the queue answers MessageNotExist, with the four-element error body.
        var empty = await mns.BatchReceiveAsync(Queue, 16, 0);
        Assert.Equal(HttpStatusCode.NotFound, empty.Status);
        Assert.Equal("MessageNotExist", empty.ErrorCode);
        Assert.Equal(EmulatorDefaults.MnsErrorNamespace, empty.Xml!.Root!.Name.NamespaceName);
        Assert.Equal("text/xml;charset=utf-8", empty.ContentType);
        foreach (var field in new[] { "Code", "Message", "RequestId", "HostId" })
        {
            Assert.False(string.IsNullOrEmpty(empty[field]), field);
        }
        Assert.Equal(empty.Headers.GetValues("x-mns-request-id").Single(), empty["RequestId"]);
        var stats = await host.StatsAsync();
        Assert.Equal(2, Stat(stats, "mnsReceives"));
        Assert.Equal(3, Stat(stats, "mnsMessagesReceived"));
    }

    [Fact]
    public async Task Receive_without_numOfMessages_answers_one_Message_and_batches_stop_at_the_asked_count()
    {
        await using var host = await StartAsync(o => o.Receipts = 4);
        var mns = await MnsTestClient.ForAsync(host);
        var single = await mns.ReceiveAsync(Queue);
        Assert.Equal(HttpStatusCode.OK, single.Status);
        Assert.Equal("Message", single.RootName);
        Assert.Single(single.Messages);
        var two = await mns.BatchReceiveAsync(Queue, 2);
        Assert.Equal(2, two.Messages.Count);
        foreach (var bad in new[] { "?numOfMessages=0", "?numOfMessages=17", "?numOfMessages=x", "?numOfMessages=1&waitseconds=31" })
        {
            var refused = await mns.SendAsync(HttpMethod.Get, MnsTestClient.Messages(Queue) + bad);
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Equal("InvalidArgument", refused.ErrorCode);
        }
    }

    [Fact]
    public async Task Query_names_are_case_insensitive()
    {
        await using var host = await StartAsync(o => o.Receipts = 3);
        var mns = await MnsTestClient.ForAsync(host);
        var batch = await mns.SendAsync(HttpMethod.Get, MnsTestClient.Messages(Queue) + "?NumOfMessages=2&WaitSeconds=0");
        Assert.Equal("Messages", batch.RootName);
        Assert.Equal(2, batch.Messages.Count);
        var handles = batch.Messages.Select(m => m["ReceiptHandle"]).ToList();
        var changed = await mns.SendAsync(HttpMethod.Put, MnsTestClient.Messages(Queue) + "?ReceiptHandle=" + handles[0] + "&VisibilityTimeout=60");
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        var deleted = await mns.SendAsync(HttpMethod.Delete, MnsTestClient.Messages(Queue) + "?receipthandle=" + changed["ReceiptHandle"]);
        Assert.Equal(HttpStatusCode.NoContent, deleted.Status);
        Assert.Equal(HttpStatusCode.NoContent, (await mns.SendAsync(HttpMethod.Delete, MnsTestClient.Messages(Queue) + "?RECEIPTHANDLE=" + handles[1])).Status);
    }

    [Fact]
    public async Task Handles_carry_plus_slash_and_equals_and_are_never_form_decoded()
    {
        await using var host = await StartAsync(o => o.Receipts = 3);
        var mns = await MnsTestClient.ForAsync(host);
        var handles = (await mns.BatchReceiveAsync(Queue, 3)).Messages.Select(m => m["ReceiptHandle"]).ToList();
        Assert.All(handles, h => Assert.True(h.Contains('+') && h.Contains('/') && h.EndsWith('='), h));
        // Raw, as every SDK sends it.
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync(Queue, handles[0])).Status);
        Assert.Equal("MissingReceiptHandle", (await mns.DeleteAsync(Queue, string.Empty)).ErrorCode);
        // Percent-encoded is decoded to the same handle.
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync(Queue, Uri.EscapeDataString(handles[1]))).Status);
        // A client that turned '+' into a space sends another handle, which is not one of ours.
        var spaced = await mns.DeleteAsync(Queue, handles[2].Replace("+", "%20", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.BadRequest, spaced.Status);
        Assert.Equal("ReceiptHandleError", spaced.ErrorCode);
    }

    [Fact]
    public async Task A_message_not_deleted_in_time_comes_back_with_a_new_handle_and_DequeueCount_2_and_the_old_handle_is_stale()
    {
        await using var host = await StartAsync(o => { o.Receipts = 1; o.VisibilityTimeoutSeconds = 1; });
        var mns = await MnsTestClient.ForAsync(host);
        var first = (await mns.ReceiveAsync(Queue)).Messages.Single();
        Assert.Equal(HttpStatusCode.NotFound, (await mns.ReceiveAsync(Queue)).Status);
        // Long polling waits for the message to come back (1 s), far less than the 10 s asked for.
        var watch = Stopwatch.StartNew();
        var again = await mns.ReceiveAsync(Queue, wait: 10);
        Assert.Equal(HttpStatusCode.OK, again.Status);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(5));
        var second = again.Messages.Single();
        Assert.Equal(first["MessageId"], second["MessageId"]);
        Assert.Equal("2", second["DequeueCount"]);
        Assert.NotEqual(first["ReceiptHandle"], second["ReceiptHandle"]);
        Assert.Equal(first["FirstDequeueTime"], second["FirstDequeueTime"]);
        Assert.Equal(first["EnqueueTime"], second["EnqueueTime"]);

        var stale = await mns.DeleteAsync(Queue, first["ReceiptHandle"]);
        Assert.Equal(HttpStatusCode.NotFound, stale.Status);
        Assert.Equal("MessageNotExist", stale.ErrorCode);
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync(Queue, second["ReceiptHandle"])).Status);
        // Gone: its last handle is stale now too.
        Assert.Equal("MessageNotExist", (await mns.DeleteAsync(Queue, second["ReceiptHandle"])).ErrorCode);
        var stats = await host.StatsAsync();
        Assert.Equal(1, Stat(stats, "mnsRedeliveries"));
        Assert.Equal(1, Stat(stats, "mnsDeletes"));
        Assert.Equal(3, Stat(stats, "mnsDeleteRequests"));
    }

    [Fact]
    public async Task A_handle_whose_visibility_ran_out_is_stale_even_before_the_message_is_received_again()
    {
        await using var host = await StartAsync(o => { o.Receipts = 1; o.VisibilityTimeoutSeconds = 1; });
        var mns = await MnsTestClient.ForAsync(host);
        var handle = (await mns.ReceiveAsync(Queue)).Messages.Single()["ReceiptHandle"];
        await Task.Delay(1300);
        Assert.Equal("MessageNotExist", (await mns.DeleteAsync(Queue, handle)).ErrorCode);
        Assert.Equal(1, Stat(await MnsTestClient.QueueStateAsync(host, Queue), "visible"));
    }

    [Fact]
    public async Task BatchDelete_answers_204_when_all_go_and_404_Errors_listing_only_the_failures()
    {
        await using var host = await StartAsync(o => o.Receipts = 5);
        var mns = await MnsTestClient.ForAsync(host);
        var handles = (await mns.BatchReceiveAsync(Queue, 5)).Messages.Select(m => m["ReceiptHandle"]).ToList();
        Assert.Equal(HttpStatusCode.NoContent, (await mns.BatchDeleteAsync(Queue, handles.Take(2))).Status);

        var malformed = "1-bm90LWEtaGFuZGxl";
        var partial = await mns.BatchDeleteAsync(Queue, [handles[2], handles[0], malformed, handles[3]]);
        Assert.Equal(HttpStatusCode.NotFound, partial.Status);
        Assert.Equal("text/xml;charset=utf-8", partial.ContentType);
        Assert.Equal("Errors", partial.RootName);
        var errors = partial.Xml!.Root!.Elements().Select(e => e.Elements().ToDictionary(x => x.Name.LocalName, x => x.Value)).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal(("MessageNotExist", handles[0]), (errors[0]["ErrorCode"], errors[0]["ReceiptHandle"]));
        Assert.Equal(("ReceiptHandleError", malformed), (errors[1]["ErrorCode"], errors[1]["ReceiptHandle"]));
        Assert.All(errors, e => Assert.False(string.IsNullOrEmpty(e["ErrorMessage"])));

        var state = await MnsTestClient.QueueStateAsync(host, Queue);
        Assert.Equal(1, Stat(state, "total"));
        Assert.Equal(4, Stat(state, "deleted"));
        Assert.Equal(4, Stat(await host.StatsAsync(), "mnsDeletes"));

        var tooMany = await mns.BatchDeleteAsync(Queue, Enumerable.Repeat(handles[4], 17));
        Assert.Equal("InvalidArgument", tooMany.ErrorCode);
        var broken = await mns.SendAsync(HttpMethod.Delete, MnsTestClient.Messages(Queue), "<ReceiptHandles><ReceiptHandle>");
        Assert.Equal("MalformedXML", broken.ErrorCode);
    }

    [Fact]
    public async Task ChangeMessageVisibility_gives_a_new_handle_and_makes_the_old_one_stale()
    {
        await using var host = await StartAsync(o => o.Receipts = 1);
        var mns = await MnsTestClient.ForAsync(host);
        var handle = (await mns.ReceiveAsync(Queue)).Messages.Single()["ReceiptHandle"];
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var changed = await mns.ChangeVisibilityAsync(Queue, handle, 120);
        Assert.Equal(HttpStatusCode.OK, changed.Status);
        Assert.Equal("ChangeVisibility", changed.RootName);
        var newHandle = changed["ReceiptHandle"]!;
        Assert.NotEqual(handle, newHandle);
        Assert.InRange(Ms(changed["NextVisibleTime"]!) - before, 119_000, 122_000);
        Assert.Equal("MessageNotExist", (await mns.ChangeVisibilityAsync(Queue, handle, 10)).ErrorCode);
        Assert.Equal("MessageNotExist", (await mns.DeleteAsync(Queue, handle)).ErrorCode);
        foreach (var (query, code) in new[] { ("?visibilityTimeout=10", "MissingReceiptHandle"), ("?receiptHandle=" + newHandle, "MissingVisibilityTimeout"),
                     ("?receiptHandle=" + newHandle + "&visibilityTimeout=0", "InvalidArgument"), ("?receiptHandle=" + newHandle + "&visibilityTimeout=43201", "InvalidArgument") })
        {
            Assert.Equal(code, (await mns.SendAsync(HttpMethod.Put, MnsTestClient.Messages(Queue) + query)).ErrorCode);
        }
        Assert.Equal(HttpStatusCode.NoContent, (await mns.DeleteAsync(Queue, newHandle)).Status);
        Assert.Equal(1, Stat(await host.StatsAsync(), "mnsChangeVisibility"));
    }

    [Fact]
    public async Task A_token_opens_only_its_queue_or_the_queues_of_its_message_type()
    {
        await using var host = await StartAsync(o => o.Receipts = 1);
        await MnsTestClient.EnqueueAsync(host, Queue + "-2", "{\"count\":1}");
        var named = await MnsTestClient.ForAsync(host, queueName: Queue);
        Assert.Equal(HttpStatusCode.OK, (await named.ReceiveAsync(Queue)).Status);
        var other = await named.ReceiveAsync(Queue + "-2");
        Assert.Equal(HttpStatusCode.Forbidden, other.Status);
        Assert.Equal("AccessDenied", other.ErrorCode);

        var byType = await MnsTestClient.ForAsync(host);
        Assert.Equal(HttpStatusCode.OK, (await byType.ReceiveAsync(Queue + "-2")).Status);
        Assert.Equal("AccessDenied", (await byType.ReceiveAsync(EmulatorDefaults.ReportQueue)).ErrorCode);
        var missing = await byType.ReceiveAsync("Alicom-Queue-999-SecretRecording");
        Assert.Equal(HttpStatusCode.NotFound, missing.Status);
        Assert.Equal("QueueNotExist", missing.ErrorCode);

        var report = await MnsTestClient.ForAsync(host, "SecretReport");
        Assert.Equal("AccessDenied", (await report.ReceiveAsync(Queue)).ErrorCode);
        Assert.Equal("MessageNotExist", (await report.ReceiveAsync(EmulatorDefaults.ReportQueue)).ErrorCode);
    }

    [Fact]
    public async Task An_expired_token_is_refused_with_SecurityTokenExpired()
    {
        await using var host = await StartAsync(o => { o.Receipts = 1; o.TokenLifetimeSeconds = 1; });
        var mns = await MnsTestClient.ForAsync(host);
        await Task.Delay(2100);
        var answer = await mns.ReceiveAsync(Queue);
        Assert.Equal(HttpStatusCode.Forbidden, answer.Status);
        Assert.Equal("SecurityTokenExpired", answer.ErrorCode);
        Assert.Contains("expired", answer["Message"], StringComparison.OrdinalIgnoreCase);
        Assert.Equal(1, Stat(await MnsTestClient.QueueStateAsync(host, Queue), "visible"));
    }

    [Fact]
    public async Task Signatures_are_checked_over_the_raw_request()
    {
        await using var host = await StartAsync(o => o.Receipts = 1);
        var mns = await MnsTestClient.ForAsync(host);
        var path = MnsTestClient.Messages(Queue) + "?numOfMessages=1";
        var secret = mns.KeySecret;
        mns.KeySecret = "not-the-secret";
        var wrongSecret = await mns.SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.Forbidden, wrongSecret.Status);
        Assert.Equal("SignatureDoesNotMatch", wrongSecret.ErrorCode);
        mns.KeySecret = secret;
        // Signed one query, sent another: the resource is part of the signature exactly as sent.
        Assert.Equal("SignatureDoesNotMatch", (await mns.SendAsync(HttpMethod.Get, path + "&waitseconds=0", signedResource: path)).ErrorCode);
        // Re-sorted or re-encoded queries are other resources too.
        Assert.Equal("SignatureDoesNotMatch", (await mns.SendAsync(HttpMethod.Get, MnsTestClient.Messages(Queue) + "?waitseconds=0&numOfMessages=1",
            signedResource: MnsTestClient.Messages(Queue) + "?numOfMessages=1&waitseconds=0")).ErrorCode);
        // An x-mns- header added after signing.
        Assert.Equal("SignatureDoesNotMatch", (await mns.SendAsync(HttpMethod.Get, path,
            tamper: r => r.Headers.TryAddWithoutValidation("x-mns-user-request-id", "late"))).ErrorCode);
        Assert.Equal(4, Stat(await host.StatsAsync(), "mnsSignatureFailures"));

        Assert.Equal("MissingAuthorizationHeader", (await mns.SendAsync(HttpMethod.Get, path, tamper: r => r.Headers.Remove("Authorization"))).ErrorCode);
        var invalid = await mns.SendAsync(HttpMethod.Get, path, tamper: r =>
        {
            r.Headers.Remove("Authorization");
            r.Headers.TryAddWithoutValidation("Authorization", "OSS x:y");
        });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.Status);
        Assert.Equal("InvalidAuthorizationHeader", invalid.ErrorCode);
        Assert.Equal("MissingDateHeader", (await mns.SendAsync(HttpMethod.Get, path, tamper: r => r.Headers.Remove("Date"))).ErrorCode);
        var skewed = await mns.SendAsync(HttpMethod.Get, path, date: DateTimeOffset.UtcNow.AddMinutes(-16));
        Assert.Equal((HttpStatusCode)408, skewed.Status);
        Assert.Equal("TimeExpired", skewed.ErrorCode);
        var token = mns.Token;
        mns.Token = "another-token";
        Assert.Equal(HttpStatusCode.Forbidden, (await mns.SendAsync(HttpMethod.Get, path)).Status);
        mns.Token = token;
        var keyId = mns.KeyId;
        mns.KeyId = "STS.nobody";
        var unknown = await mns.SendAsync(HttpMethod.Get, path);
        Assert.Equal(HttpStatusCode.Forbidden, unknown.Status);
        Assert.Equal("InvalidAccessKeyId", unknown.ErrorCode);
        mns.KeyId = keyId;

        // x-mns-date alone stands in for Date (and is signed as a header too); a 14-minute skew is within the window.
        Assert.Equal(HttpStatusCode.OK, (await mns.SendAsync(HttpMethod.Get, path, dateAsXMnsDateOnly: true, date: DateTimeOffset.UtcNow.AddMinutes(14))).Status);
    }

    [Fact]
    public async Task Long_polling_waits_until_a_message_is_enqueued_and_times_out_with_MessageNotExist()
    {
        await using var host = await StartAsync(o => o.PollingWaitSeconds = 1);
        var mns = await MnsTestClient.ForAsync(host);
        var watch = Stopwatch.StartNew();
        var empty = await mns.ReceiveAsync(Queue);
        Assert.Equal("MessageNotExist", empty.ErrorCode);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));

        watch.Restart();
        var waiting = mns.BatchReceiveAsync(Queue, 16, 20);
        await Task.Delay(400);
        Assert.False(waiting.IsCompleted);
        await MnsTestClient.EnqueueAsync(host, Queue, "{\"count\":2}");
        var answer = await waiting;
        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.NotEmpty(answer.Messages);
        Assert.InRange(watch.Elapsed, TimeSpan.FromSeconds(0.3), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_long_poll_lets_go_when_the_server_stops()
    {
        var host = await StartAsync();
        var mns = await MnsTestClient.ForAsync(host);
        var waiting = mns.ReceiveAsync(Queue, wait: 30);
        await Task.Delay(300);
        var watch = Stopwatch.StartNew();
        await host.Server.DisposeAsync();
        try
        {
            var answer = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal("MessageNotExist", answer.ErrorCode);
        }
        catch (HttpRequestException)
        {
            // The connection closed as the server went: also a released poll.
        }
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), watch.Elapsed.ToString());
        host.Http.Dispose();
    }
}
