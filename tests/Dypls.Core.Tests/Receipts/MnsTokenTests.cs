using System.Text.Json;
using Dypls.Receipts;

namespace Dypls.Core.Tests.Receipts;

public class MnsTokenTests
{
    private static MnsToken Read(string create, string expire, DateTimeOffset fetchedAt)
    {
        var json = """{"Code":"OK","MessageTokenDTO":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","CreateTime":"CREATE","ExpireTime":"EXPIRE"}}""";
        using var doc = JsonDocument.Parse(string.Join(create, json.Split(["CREATE"], StringSplitOptions.None)).Split(["EXPIRE"], StringSplitOptions.None) is var parts ? string.Join(expire, parts) : json);
        return MnsTokenSource.Read(doc.RootElement, fetchedAt)!;
    }

    [Fact]
    public void A_ten_minute_token_is_refreshed_two_minutes_before_it_expires()
    {
        var fetched = new DateTimeOffset(2026, 12, 4, 2, 0, 0, TimeSpan.Zero);
        var token = Read("2026-12-04 10:00:00", "2026-12-04 10:10:00", fetched);
        Assert.Equal(fetched.AddMinutes(10), token.ExpiresAt);
        Assert.Equal(fetched.AddMinutes(8), token.RefreshAt);
    }

    [Fact]
    public void A_short_token_is_refreshed_at_half_its_lifetime()
    {
        var fetched = DateTimeOffset.UtcNow;
        var token = Read("2026-12-04 10:00:00", "2026-12-04 10:00:10", fetched);
        Assert.Equal(fetched.AddSeconds(5), token.RefreshAt);
    }

    [Fact]
    public void ExpireTime_is_Beijing_time_whatever_the_local_zone_and_a_skewed_local_clock_does_not_shorten_the_lifetime()
    {
        // The local clock is three hours off; the lifetime still counts from the fetch.
        var fetched = new DateTimeOffset(2026, 12, 4, 5, 0, 0, TimeSpan.Zero);
        var token = Read("2026-12-04 10:00:00", "2026-12-04 10:10:00", fetched);
        Assert.Equal(TimeSpan.FromMinutes(10), token.ExpiresAt - token.FetchedAt);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 2, 10, 0, TimeSpan.Zero), MnsTokenSource.ParseBeijing("2026-12-04 10:10:00"));
    }

    [Fact]
    public void Without_CreateTime_ExpireTime_is_read_against_the_local_clock_as_Beijing_time()
    {
        var fetched = new DateTimeOffset(2026, 12, 4, 2, 0, 0, TimeSpan.Zero);
        using var doc = JsonDocument.Parse("""{"MessageTokenDTO":{"AccessKeyId":"STS.x","AccessKeySecret":"s","SecurityToken":"t","ExpireTime":"2026-12-04 10:05:00"}}""");
        var token = MnsTokenSource.Read(doc.RootElement, fetched)!;
        Assert.Equal(fetched.AddMinutes(5), token.ExpiresAt);
    }

    [Fact]
    public void An_answer_without_the_key_is_no_token()
    {
        using var doc = JsonDocument.Parse("""{"Code":"OK","MessageTokenDTO":{"AccessKeyId":"STS.x"}}""");
        Assert.Null(MnsTokenSource.Read(doc.RootElement, DateTimeOffset.UtcNow));
    }
}
