using System.Globalization;
using System.Text;
using Dypls.Signing;

namespace Dypls.Core.Tests;

/// <summary>Every published vector from dyplsapi-notes.md, plus the encoding checked against its definition.</summary>
public class SigningTests
{
    private static Dictionary<string, string> DescribeDedicatedHosts() => new()
    {
        ["AccessKeyId"] = "testid",
        ["Action"] = "DescribeDedicatedHosts",
        ["Format"] = "JSON",
        ["RegionId"] = "cn-beijing",
        ["SignatureMethod"] = "HMAC-SHA1",
        ["SignatureNonce"] = "edb2b34af0af9a6d14deaf7c1a5315eb",
        ["SignatureVersion"] = "1.0",
        ["Timestamp"] = "2023-03-13T08:34:30Z",
        ["Version"] = "2014-05-26",
    };

    [Fact]
    public void DescribeDedicatedHosts_Get_MatchesPublishedSignature()
    {
        var sts = RpcSigner.StringToSign("GET", DescribeDedicatedHosts());
        Assert.Equal("9NaGiOspFP5UPcwX8Iwt2YJXXuk=", RpcSigner.Sign("testsecret", sts));
    }

    [Fact]
    public void DescribeDedicatedHosts_Post_MatchesPublishedSignature()
    {
        var sts = RpcSigner.StringToSign("POST", DescribeDedicatedHosts());
        Assert.Equal("ZvQ9xGiFnquSJRvj+WE6kdSpTwU=", RpcSigner.Sign("testsecret", sts));
    }

    [Fact]
    public void DescribeRegions_MatchesPublishedStringToSignAndSignature()
    {
        var p = new Dictionary<string, string>
        {
            // Deliberately unsorted: the signer must sort.
            ["Version"] = "2014-05-26",
            ["Timestamp"] = "2016-02-23T12:46:24Z",
            ["AccessKeyId"] = "testid",
            ["Action"] = "DescribeRegions",
            ["Format"] = "XML",
            ["SignatureMethod"] = "HMAC-SHA1",
            ["SignatureNonce"] = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
            ["SignatureVersion"] = "1.0",
        };
        var sts = RpcSigner.StringToSign("GET", p);
        Assert.Equal("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26", sts);
        Assert.Equal("OLeaidS1JvxuMvnyHOwuJ+uX5qY=", RpcSigner.Sign("testsecret", sts));
    }

    [Fact]
    public void PercentEncoding_MatchesPublishedVector()
    {
        Assert.Equal(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%21%40%23%24%25%5E%26%2A%28%29",
            PercentEncoding.Encode("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!@#$%^&*()"));
    }

    [Fact]
    public void RawHmacSha1_MatchesPublishedVector()
    {
        Assert.Equal("m67ZG+f1i1fIJLYNp8smKy7K+9I=", RpcSigner.HmacSha1Base64("secret", "foo"));
    }

    [Fact]
    public void SignatureParameterIsNotSigned()
    {
        var p = DescribeDedicatedHosts();
        var without = RpcSigner.StringToSign("GET", p);
        p["Signature"] = "anything";
        Assert.Equal(without, RpcSigner.StringToSign("GET", p));
    }

    [Fact]
    public void SortIsOrdinal_UppercaseBeforeLowercase()
    {
        var q = RpcSigner.CanonicalQueryString(new Dictionary<string, string> { ["b"] = "1", ["B"] = "2", ["a"] = "3", ["_"] = "4" });
        Assert.Equal("B=2&_=4&a=3&b=1", q);
    }

    [Fact]
    public void ToQueryString_KeepsTheOrderGivenAndEncodesKeysAndValues()
    {
        var q = RpcSigner.ToQueryString(new[]
        {
            new KeyValuePair<string, string>("b c", "x*y~"),
            new KeyValuePair<string, string>("a", null!),
            new KeyValuePair<string, string>("Signature", "s/+="),
        });
        Assert.Equal("b%20c=x%2Ay~&a=&Signature=s%2F%2B%3D", q);
    }

    /// <summary>Every ASCII character, one at a time, against the definition: unreserved stay, the rest are %XY uppercase.</summary>
    [Fact]
    public void PercentEncoding_AllAscii_FollowsDefinition()
    {
        const string unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
        for (var c = 0; c < 128; c++)
        {
            var s = ((char)c).ToString();
            var expected = unreserved.Contains((char)c) ? s : "%" + c.ToString("X2", CultureInfo.InvariantCulture);
            Assert.Equal(expected, PercentEncoding.Encode(s));
        }
        Assert.Equal("%20", PercentEncoding.Encode(" "));
        Assert.Equal("%2A", PercentEncoding.Encode("*"));
        Assert.Equal("~", PercentEncoding.Encode("~"));
        Assert.Equal("%2B", PercentEncoding.Encode("+"));
    }

    /// <summary>A name or value with nothing to escape comes back as it is, not copied (signing escapes each one twice).</summary>
    [Fact]
    public void PercentEncoding_LeavesAnUnreservedStringUncopied()
    {
        var value = string.Concat("QueryRecordFile", "DownloadUrl-2017_05.25~");
        Assert.Same(value, PercentEncoding.Encode(value));
        Assert.Same(string.Empty, PercentEncoding.Encode(string.Empty));
        Assert.Equal("ab%20c", PercentEncoding.Encode("ab c"));
    }

    /// <summary>Random multi-byte UTF-8 strings (Chinese, emoji, accents): decoding the encoding gives the UTF-8 bytes back.</summary>
    [Fact]
    public void PercentEncoding_MultiByteUtf8_RoundTripsAndUsesOnlyAllowedCharacters()
    {
        var rng = new Random(20261125);
        string[] pool = ["呼", "叫", "记", "录", "é", "ß", "😀", "🎧", "a", " ", "*", "~", "/", "+", "%", "\"", "ひ", "\u00A0", "\u2028"];
        for (var i = 0; i < 2000; i++)
        {
            var sb = new StringBuilder();
            var len = rng.Next(0, 12);
            for (var j = 0; j < len; j++) sb.Append(pool[rng.Next(pool.Length)]);
            var s = sb.ToString();
            var encoded = PercentEncoding.Encode(s);
            Assert.Matches("^([A-Za-z0-9\\-_.~]|%[0-9A-F]{2})*$", encoded);
            Assert.Equal(Encoding.UTF8.GetBytes(s), Decode(encoded));
        }
        Assert.Equal("%E5%91%BC%E5%8F%AB", PercentEncoding.Encode("呼叫"));
        Assert.Equal("%F0%9F%98%80", PercentEncoding.Encode("😀"));
    }

    private static byte[] Decode(string encoded)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] == '%') { bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16)); i += 2; }
            else bytes.Add((byte)encoded[i]);
        }
        return bytes.ToArray();
    }

    [Fact]
    public void SignRequest_AddsCommonParametersAndStsToken()
    {
        var now = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.FromHours(8));
        var signed = RpcSigner.SignRequest("POST", new Dictionary<string, string> { ["Action"] = "X" }, "id", "sec", "tok", now, "nonce1");
        Assert.Equal("2026-11-25T02:00:00Z", signed["Timestamp"]);
        Assert.Equal("tok", signed["SecurityToken"]);
        Assert.Equal("HMAC-SHA1", signed["SignatureMethod"]);
        Assert.Equal("1.0", signed["SignatureVersion"]);
        Assert.Equal("nonce1", signed["SignatureNonce"]);
        Assert.Equal(RpcSigner.Sign("sec", RpcSigner.StringToSign("POST", signed)), signed["Signature"]);

        var noToken = RpcSigner.SignRequest("POST", new Dictionary<string, string> { ["Action"] = "X" }, "id", "sec", null, now, "n");
        Assert.False(noToken.ContainsKey("SecurityToken"));
    }
}
