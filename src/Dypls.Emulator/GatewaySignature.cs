using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Dypls.Emulator;

/// <summary>
/// The gateway's side of the RPC V1 signature (HMAC-SHA1), written from Alibaba Cloud's published algorithm and
/// not shared with the client's signer: if both sides used one implementation, a mistake in it would sign and
/// verify alike and no test against the emulator could see it.
/// </summary>
public static class GatewaySignature
{
    public const string SignatureMethod = "HMAC-SHA1";
    public const string SignatureVersion = "1.0";

    /// <summary>UTC, to the second, with a literal Z.</summary>
    public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    /// <summary>The one parameter the canonical query leaves out.</summary>
    public const string SignatureParameter = "Signature";

    private const string UpperHex = "0123456789ABCDEF";

    /// <summary>
    /// RFC 3986 encoding of the UTF-8 bytes: only A-Z a-z 0-9 - _ . ~ stay, every other byte is %XY with upper-case
    /// hex, so a space is %20 (never +) and * is %2A.
    /// </summary>
    public static string PercentEncode(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        var text = new StringBuilder(bytes.Length * 3);
        foreach (var b in bytes)
        {
            if (IsUnreserved(b))
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(UpperHex[b >> 4]).Append(UpperHex[b & 0xF]);
            }
        }
        return text.ToString();
    }

    /// <summary>Every parameter but Signature, sorted by name in ordinal (byte) order, as encoded name=value joined with &amp;.</summary>
    public static string CanonicalQuery(IEnumerable<KeyValuePair<string, string>> parameters)
    {
        // Sorted before encoding: the names are compared as sent, and "a/" sorts after "a-" although "%2F" sorts before "-".
        var pairs = parameters
            .Where(p => !string.Equals(p.Key, SignatureParameter, StringComparison.Ordinal))
            .ToList();
        pairs.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var text = new StringBuilder();
        foreach (var pair in pairs)
        {
            if (text.Length > 0)
            {
                text.Append('&');
            }
            text.Append(PercentEncode(pair.Key)).Append('=').Append(PercentEncode(pair.Value));
        }
        return text.ToString();
    }

    /// <summary>METHOD&amp;%2F&amp;encode(canonical query), with the request's own HTTP method.</summary>
    public static string StringToSign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters) =>
        httpMethod.ToUpperInvariant() + "&" + PercentEncode("/") + "&" + PercentEncode(CanonicalQuery(parameters));

    /// <summary>Base64(HMAC-SHA1(key: secret + "&amp;", data: UTF-8 string to sign)).</summary>
    public static string Sign(string accessKeySecret, string stringToSign) =>
        HmacSha1Base64(accessKeySecret + "&", stringToSign);

    /// <summary>Base64 of the HMAC-SHA1 of the UTF-8 data under the UTF-8 key, as the key is given.</summary>
    [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "HMAC-SHA1 is what Alibaba Cloud's RPC V1 and OSS V1 signatures are defined with.")]
    public static string HmacSha1Base64(string key, string data) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(data)));

    private static bool IsUnreserved(byte b) =>
        b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~';
}
