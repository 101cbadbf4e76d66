using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dypls.Emulator.Tests;

/// <summary>
/// The emulator's RPC V1 signature check against the vectors Alibaba Cloud publishes, and against requests a client
/// signed with one of the usual encoding mistakes. The expected texts and signatures are the published ones, not
/// values computed by the client's signer.
/// </summary>
public class GatewaySignatureTests
{
    private const string SignatureMessagePrefix = "Specified signature is not matched with our calculation. server string to sign is:";

    private static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    /// <summary>The DescribeDedicatedHosts vector (GET and POST).</summary>
    private static Dictionary<string, string> DedicatedHosts() => new(StringComparer.Ordinal)
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

    /// <summary>The DescribeRegions vector, whose string to sign is published too.</summary>
    private static Dictionary<string, string> Regions() => new(StringComparer.Ordinal)
    {
        ["AccessKeyId"] = "testid",
        ["Action"] = "DescribeRegions",
        ["Format"] = "XML",
        ["SignatureMethod"] = "HMAC-SHA1",
        ["SignatureNonce"] = "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        ["SignatureVersion"] = "1.0",
        ["Timestamp"] = "2016-02-23T12:46:24Z",
        ["Version"] = "2014-05-26",
    };

    private const string RegionsStringToSign =
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1" +
        "%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0" +
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26";

    private static SignatureVerifier Verifier()
    {
        var credentials = new CredentialStore();
        credentials.Add(new EmulatorAccessKey("testid", "testsecret"));
        return new SignatureVerifier(credentials, new NonceCache());
    }

    private static DateTimeOffset TimeOf(Dictionary<string, string> parameters) =>
        DateTimeOffset.ParseExact(parameters["Timestamp"], "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private static Dictionary<string, string> With(Dictionary<string, string> parameters, string signature)
    {
        parameters["Signature"] = signature;
        return parameters;
    }

    [Fact]
    public void Percent_encoding_matches_the_published_vector()
    {
        Assert.Equal(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~%21%40%23%24%25%5E%26%2A%28%29",
            GatewaySignature.PercentEncode("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~!@#$%^&*()"));
    }

    [Theory]
    [InlineData(" ", "%20")]
    [InlineData("*", "%2A")]
    [InlineData("~", "~")]
    [InlineData("+", "%2B")]
    [InlineData("/", "%2F")]
    [InlineData(":", "%3A")]
    [InlineData("\u00e9", "%C3%A9")]
    [InlineData("\u53f7", "%E5%8F%B7")]
    [InlineData("", "")]
    public void Percent_encoding_is_UTF8_with_upper_case_hex(string value, string expected) =>
        Assert.Equal(expected, GatewaySignature.PercentEncode(value));

    [Fact]
    public void Raw_HMAC_SHA1_matches_the_published_vector() =>
        Assert.Equal("m67ZG+f1i1fIJLYNp8smKy7K+9I=", GatewaySignature.HmacSha1Base64("secret", "foo"));

    [Fact]
    public void String_to_sign_matches_the_published_vector() =>
        Assert.Equal(RegionsStringToSign, GatewaySignature.StringToSign("GET", With(Regions(), "ignored")));

    [Theory]
    [InlineData("GET", "9NaGiOspFP5UPcwX8Iwt2YJXXuk=")]
    [InlineData("POST", "ZvQ9xGiFnquSJRvj+WE6kdSpTwU=")]
    public void Signature_matches_the_published_vector(string method, string expected) =>
        Assert.Equal(expected, GatewaySignature.Sign("testsecret", GatewaySignature.StringToSign(method, DedicatedHosts())));

    [Fact]
    public void Names_sort_ordinally_so_upper_case_comes_before_lower_case()
    {
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["callId"] = "1", ["PoolKey"] = "2", ["Action"] = "3", ["action"] = "4" };
        Assert.Equal("Action=3&PoolKey=2&action=4&callId=1", GatewaySignature.CanonicalQuery(parameters));
    }

    [Fact]
    public void Names_sort_as_sent_before_they_are_encoded()
    {
        // '-' (0x2D) sorts before '/' (0x2F), although the encoded "%2F" would sort before "-".
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal) { ["a/"] = "1", ["a-"] = "2" };
        Assert.Equal("a-=2&a%2F=1", GatewaySignature.CanonicalQuery(parameters));
    }

    [Fact]
    public void Canonical_query_leaves_out_Signature_only() =>
        Assert.Equal("Signaturex=1&signature=2", GatewaySignature.CanonicalQuery(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["Signature"] = "dropped", ["Signaturex"] = "1", ["signature"] = "2",
        }));

    [Theory]
    [InlineData("GET", "9NaGiOspFP5UPcwX8Iwt2YJXXuk=")]
    [InlineData("POST", "ZvQ9xGiFnquSJRvj+WE6kdSpTwU=")]
    public void Verifier_accepts_the_published_signatures(string method, string signature)
    {
        var parameters = With(DedicatedHosts(), signature);
        Assert.Null(Verifier().Verify(method, parameters, TimeOf(parameters), Window));
    }

    [Fact]
    public void Verifier_accepts_the_published_DescribeRegions_signature()
    {
        var parameters = With(Regions(), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        Assert.Null(Verifier().Verify("GET", parameters, TimeOf(parameters), Window));
    }

    [Fact]
    public void Verifier_names_the_published_string_to_sign_when_the_signature_is_wrong()
    {
        var parameters = With(Regions(), "9NaGiOspFP5UPcwX8Iwt2YJXXuk=");
        var error = Verifier().Verify("GET", parameters, TimeOf(parameters), Window);
        Assert.NotNull(error);
        Assert.Equal("SignatureDoesNotMatch", error.Code);
        Assert.Equal(SignatureMessagePrefix + RegionsStringToSign, error.Message);
    }

    [Fact]
    public void Verifier_rejects_the_GET_signature_on_a_POST()
    {
        var parameters = With(DedicatedHosts(), "9NaGiOspFP5UPcwX8Iwt2YJXXuk=");
        Assert.Equal("SignatureDoesNotMatch", Verifier().Verify("POST", parameters, TimeOf(parameters), Window)?.Code);
    }

    /// <summary>The ways a client's encoder commonly differs from RFC 3986 as the RPC signature uses it.</summary>
    public enum ClientEncoding
    {
        Correct,
        PlusForSpace,
        StarLeftAsIs,
        LowerCaseHex,
        TildeEscaped,
        SortedIgnoringCase,
    }

    /// <summary>A request whose values need every one of those escapes: a space, '*', '~' and ':' (in the Timestamp).</summary>
    private static Dictionary<string, string> QueryRecordFileDownloadUrl() => new(StringComparer.Ordinal)
    {
        ["AccessKeyId"] = "testid",
        ["Action"] = "QueryRecordFileDownloadUrl",
        ["CallId"] = "call id*~1",
        ["CallTime"] = "2024-05-01 08:30:00",
        ["Format"] = "JSON",
        ["PoolKey"] = "FC123456",
        ["SignatureMethod"] = "HMAC-SHA1",
        ["SignatureNonce"] = "5b0c3c64-4a9e-4c38-9a8e-0d3c1b7e2f11",
        ["SignatureVersion"] = "1.0",
        ["Timestamp"] = "2024-05-01T00:30:00Z",
        ["Version"] = "2017-05-25",
        ["partnerTag"] = "x",
    };

    [Theory]
    [InlineData(ClientEncoding.Correct, null)]
    [InlineData(ClientEncoding.PlusForSpace, "SignatureDoesNotMatch")]
    [InlineData(ClientEncoding.StarLeftAsIs, "SignatureDoesNotMatch")]
    [InlineData(ClientEncoding.LowerCaseHex, "SignatureDoesNotMatch")]
    [InlineData(ClientEncoding.TildeEscaped, "SignatureDoesNotMatch")]
    [InlineData(ClientEncoding.SortedIgnoringCase, "SignatureDoesNotMatch")]
    public void Verifier_rejects_a_request_signed_with_a_wrong_encoding(ClientEncoding encoding, string? expectedCode)
    {
        var parameters = QueryRecordFileDownloadUrl();
        parameters["Signature"] = ClientSign("GET", parameters, "testsecret", encoding);
        var error = Verifier().Verify("GET", parameters, TimeOf(parameters), Window);
        Assert.Equal(expectedCode, error?.Code);
    }

    [Fact]
    public void Download_url_signature_is_OSS_V1_over_expires_bucket_and_object()
    {
        const long expires = 1_700_000_000;
        var expected = Convert.ToBase64String(HmacSha1(
            Encoding.UTF8.GetBytes("oss-secret"),
            Encoding.UTF8.GetBytes("GET\n\n\n1700000000\n/bucket/pool_Y2FsbA.mp3")));
        Assert.Equal(expected, DownloadUrlSigner.Sign("oss-secret", expires, "bucket", "pool_Y2FsbA.mp3"));
    }

    /// <summary>
    /// A client's signer, written here so the mistakes can be chosen; only its Correct mode follows the spec, and it
    /// shares no code with the emulator's.
    /// </summary>
    private static string ClientSign(string method, Dictionary<string, string> parameters, string secret, ClientEncoding encoding)
    {
        var comparer = encoding == ClientEncoding.SortedIgnoringCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        var canonical = string.Join("&", parameters
            .Where(p => p.Key != "Signature")
            .OrderBy(p => p.Key, comparer)
            .Select(p => Encode(p.Key, encoding) + "=" + Encode(p.Value, encoding)));
        var stringToSign = method + "&" + Encode("/", encoding) + "&" + Encode(canonical, encoding);
        return Convert.ToBase64String(HmacSha1(Encoding.UTF8.GetBytes(secret + "&"), Encoding.UTF8.GetBytes(stringToSign)));
    }

    private static string Encode(string value, ClientEncoding encoding)
    {
        var text = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' || (c == '~' && encoding != ClientEncoding.TildeEscaped))
            {
                text.Append(c);
            }
            else if (c == ' ' && encoding == ClientEncoding.PlusForSpace)
            {
                text.Append('+');
            }
            else if (c == '*' && encoding == ClientEncoding.StarLeftAsIs)
            {
                text.Append('*');
            }
            else
            {
                text.Append('%').Append(b.ToString(encoding == ClientEncoding.LowerCaseHex ? "x2" : "X2", CultureInfo.InvariantCulture));
            }
        }
        return text.ToString();
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "The signatures under test are HMAC-SHA1 by definition.")]
    private static byte[] HmacSha1(byte[] key, byte[] data) => HMACSHA1.HashData(key, data);
}
