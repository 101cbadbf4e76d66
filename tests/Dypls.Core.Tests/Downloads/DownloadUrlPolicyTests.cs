using System;
using Dypls.Api;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>Download URL policy: refusals and their messages, extensions from content types, expiry.</summary>
public class DownloadUrlPolicyTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 15, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("not a url")]
    [InlineData("ftp://127.0.0.1/x.mp3")]
    [InlineData("file:///tmp/x.mp3")]
    public void Anything_but_http_or_https_is_refused_by_name(string url)
    {
        var ex = Assert.Throws<DyplsException>(() => DownloadUrlPolicy.FetchUri(url, givenOnInput: false));
        Assert.Equal("InvalidDownloadUrl", ex.ErrorId);
        Assert.EndsWith("' is not an http(s) URL.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_refusal_of_plain_http_names_the_host_and_the_way_out()
    {
        var ex = Assert.Throws<DyplsException>(() => DownloadUrlPolicy.FetchUri("http://recordings.example.com/x.mp3?Signature=abc", givenOnInput: true));
        Assert.StartsWith("the download URL ", ex.Message, StringComparison.Ordinal);
        Assert.Contains("is plain http on 'recordings.example.com', which is neither an Alibaba Cloud (*.aliyuncs.com) nor a loopback host.", ex.Message);
        Assert.Contains("Give an https URL, or leave the Url column out", ex.Message);
    }

    [Fact]
    public void Plain_http_from_the_api_is_used_as_given()
    {
        // Only a URL given on input is held to https; one the API hands out is its own business.
        Assert.Equal("http://recordings.example.com/x.mp3", DownloadUrlPolicy.FetchUri("http://recordings.example.com/x.mp3", givenOnInput: false).AbsoluteUri);
    }

    [Theory]
    [InlineData("audio/mpeg", ".mp3")]
    [InlineData("audio/mp3", ".mp3")]
    [InlineData("AUDIO/MPEG", ".mp3")]
    [InlineData("audio/wav", ".wav")]
    [InlineData("audio/x-wav", ".wav")]
    [InlineData("audio/wave", ".wav")]
    [InlineData("audio/amr", ".amr")]
    [InlineData("audio/mp4", ".m4a")]
    [InlineData("audio/x-m4a", ".m4a")]
    [InlineData("audio/ogg", ".ogg")]
    [InlineData("audio/aac", ".aac")]
    [InlineData("audio/opus", ".opus")]
    [InlineData("audio/flac", ".flac")]
    [InlineData("audio/x-flac", ".flac")]
    [InlineData("audio/x-ms-wma", ".bin")]
    [InlineData("text/html", ".bin")]
    [InlineData("", ".bin")]
    [InlineData(null, ".bin")]
    public void The_content_type_names_the_extension_when_the_url_does_not(string? mediaType, string expected)
    {
        Assert.Equal(expected, DownloadUrlPolicy.ExtensionFor("https://h/b/object", mediaType));
    }

    [Fact]
    public void A_url_is_refreshed_from_the_start_of_its_safety_margin()
    {
        var margin = TimeSpan.FromMinutes(2);
        RecordFileUrl Expiring(TimeSpan after) => new("https://h/x", null, Now + after, 0);
        Assert.True(DownloadUrlPolicy.NeedsRefresh(Expiring(TimeSpan.FromMinutes(-1)), Now, margin));
        Assert.True(DownloadUrlPolicy.NeedsRefresh(Expiring(TimeSpan.FromMinutes(1)), Now, margin));
        Assert.True(DownloadUrlPolicy.NeedsRefresh(Expiring(margin), Now, margin));
        Assert.False(DownloadUrlPolicy.NeedsRefresh(Expiring(margin + TimeSpan.FromSeconds(1)), Now, margin));
        Assert.False(DownloadUrlPolicy.NeedsRefresh(Expiring(TimeSpan.FromHours(1)), Now, margin));
    }

    [Fact]
    public void A_url_on_input_without_any_expiry_is_given_a_short_life()
    {
        var u = DownloadUrlPolicy.FromInput("  https://h/b/x.mp3?Signature=s  ", null, Now);
        Assert.Equal("https://h/b/x.mp3?Signature=s", u.DownloadUrl);
        Assert.Equal(Now + DownloadUrlPolicy.UnknownInputLifetime, u.ExpiresAt);
        Assert.Equal(TimeSpan.FromMinutes(30), DownloadUrlPolicy.UnknownInputLifetime);
        Assert.Null(u.RequestId);
        Assert.Equal(0, u.Attempts);
    }

    [Fact]
    public void The_urls_own_expires_counts_unless_an_expiry_is_given()
    {
        var own = Now.AddHours(1);
        var url = $"https://h/b/x.mp3?Expires={own.ToUnixTimeSeconds()}&Signature=s";
        Assert.Equal(own, DownloadUrlPolicy.FromInput(url, null, Now).ExpiresAt);
        Assert.Equal(own, DownloadUrlPolicy.FromInput(url, 42, Now).ExpiresAt);
        Assert.Equal(own, DownloadUrlPolicy.FromInput(url, "not a date", Now).ExpiresAt);
        var given = Now.AddMinutes(7);
        Assert.Equal(given, DownloadUrlPolicy.FromInput(url, given, Now).ExpiresAt);
    }

    [Fact]
    public void An_expiry_given_as_a_date_time_is_read_as_its_kind_says()
    {
        var utc = new DateTime(2026, 11, 24, 10, 0, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTimeOffset(utc), DownloadUrlPolicy.FromInput("https://h/x", utc, Now).ExpiresAt);
        var local = utc.ToLocalTime();
        Assert.Equal(new DateTimeOffset(utc), DownloadUrlPolicy.FromInput("https://h/x", local, Now).ExpiresAt);
        // Unspecified is read as local time, as PowerShell's Get-Date gives it.
        var unspecified = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        Assert.Equal(new DateTimeOffset(utc), DownloadUrlPolicy.FromInput("https://h/x", unspecified, Now).ExpiresAt);
    }

    [Fact]
    public void An_expiry_given_as_text_is_parsed()
    {
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.FromHours(8)),
            DownloadUrlPolicy.FromInput("https://h/x", "2026-11-24T10:00:00+08:00", Now).ExpiresAt);
    }
}
