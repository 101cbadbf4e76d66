using System.Text;
using Dypls.Receipts;

namespace Dypls.Core.Tests.Receipts;

public class ReceiptReaderTests
{
    private static MnsMessage Message(string json, bool base64 = true) => new()
    {
        MessageId = "m-1",
        ReceiptHandle = "1-abc+/=",
        Body = base64 ? Convert.ToBase64String(Encoding.UTF8.GetBytes(json)) : json,
        DequeueCount = 2,
        EnqueuedAt = DateTimeOffset.FromUnixTimeMilliseconds(1629893489000),
    };

    [Fact]
    public void A_SecretRecording_call_time_in_epoch_milliseconds_becomes_the_Beijing_instant()
    {
        var r = Assert.Single(ReceiptReader.Read(Message("""{"pool_key":"FC100000012345","sub_id":1234,"call_id":"c-1","call_time":1629893489000,"out_id":"o"}"""),
            "SecretRecording", "Alicom-Queue-1-SecretRecording", null));
        Assert.Equal("c-1", r.CallId);
        Assert.Equal("FC100000012345", r.PoolKey);
        Assert.Equal(1234, r.SubId);
        Assert.Equal("o", r.OutId);
        Assert.Equal(TimeSpan.FromHours(8), r.CallTime!.Value.Offset);
        Assert.Equal("2021-08-25 20:11:29", Dypls.Time.CallTime.Format(r.CallTime.Value));
        Assert.Equal(2, r.DequeueCount);
        Assert.Equal("1-abc+/=", r.ReceiptHandle);
        Assert.Equal(1629893489000L, r.Fields["call_time"]);
    }

    [Fact]
    public void Older_bodies_with_subs_id_and_call_time_as_text_read_the_same()
    {
        var r = Assert.Single(ReceiptReader.Read(Message("""{"pool_key":"FC1","subs_id":"99","call_id":"c-2","call_time":"1629893489000"}"""),
            "SecretRecording", "q", null));
        Assert.Equal(99, r.SubId);
        Assert.Equal("2021-08-25 20:11:29", Dypls.Time.CallTime.Format(r.CallTime!.Value));
    }

    [Fact]
    public void A_SecretReport_keeps_its_record_url_with_its_expiry_and_every_other_field()
    {
        var r = Assert.Single(ReceiptReader.Read(Message("""{"pool_key":"FC1","sub_id":1,"call_id":"c-3","call_time":"2021-08-25 20:11:29","record_url":"https://x.oss-cn-hangzhou.aliyuncs.com/r.mp3?Expires=1900000000&Signature=s","release_cause":16,"phone_no":"138"}"""),
            "SecretReport", "q", null));
        Assert.Equal("2021-08-25 20:11:29", Dypls.Time.CallTime.Format(r.CallTime!.Value));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1900000000), r.ExpiresAt);
        Assert.StartsWith("https://x.oss", r.Url, StringComparison.Ordinal);
        Assert.Equal(16L, r.Fields["release_cause"]);
        Assert.Equal("138", r.Fields["phone_no"]);
    }

    [Fact]
    public void An_array_body_gives_one_receipt_per_record_and_plain_JSON_is_read_too()
    {
        var receipts = ReceiptReader.Read(Message("""[{"call_id":"a","call_time":1629893489000,"pool_key":"p"},{"call_id":"b","call_time":1629893489000,"pool_key":"p"}]""", base64: false),
            "SecretRecording", "q", null);
        Assert.Equal(["a", "b"], receipts.Select(r => r.CallId));
    }

    [Theory]
    [InlineData("not base64 at all!")]
    [InlineData("eyJicm9rZW4i")]
    public void A_body_that_cannot_be_read_still_becomes_a_receipt_with_no_CallId_so_it_can_reach_the_dead_letter_file(string body)
    {
        var r = Assert.Single(ReceiptReader.Read(new MnsMessage { MessageId = "m", ReceiptHandle = "h", Body = body, DequeueCount = 1 }, "SecretRecording", "q", null));
        Assert.Equal(string.Empty, r.CallId);
        Assert.Null(r.CallTime);
        Assert.Equal("m", r.MessageId);
    }

    [Theory]
    [InlineData("Alicom-Queue-1234567890-SecretRecording", "SecretRecording")]
    [InlineData("Alicom-Queue-1234567890-SecretReport", "SecretReport")]
    [InlineData("Alicom-Queue-13635054-SecretReport-100000", "SecretReport")]
    [InlineData("my-own-queue", null)]
    public void The_message_type_follows_from_the_queue_name(string queue, string? type) =>
        Assert.Equal(type, ReceiptReader.MessageTypeOf(queue));
}
