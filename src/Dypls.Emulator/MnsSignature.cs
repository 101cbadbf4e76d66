using System.Text;

namespace Dypls.Emulator;

/// <summary>
/// The server's side of the MNS request signature, written from MNS's published algorithm: HMAC-SHA1 over the verb,
/// Content-MD5, Content-Type and Date lines, the sorted lowercase x-mns-* headers and the resource exactly as sent.
/// </summary>
public static class MnsSignature
{
    /// <param name="mnsHeaders">Every header whose name starts with x-mns- (any case); sorted and lowercased here.</param>
    /// <param name="resource">The request target as received: path, then "?" and the query, undecoded.</param>
    public static string StringToSign(string verb, string contentMd5, string contentType, string date,
        IEnumerable<KeyValuePair<string, string>> mnsHeaders, string resource)
    {
        var text = new StringBuilder();
        text.Append(verb).Append('\n').Append(contentMd5).Append('\n').Append(contentType).Append('\n').Append(date).Append('\n');
        foreach (var header in mnsHeaders
                     .Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), h.Value))
                     .Where(h => h.Key.StartsWith("x-mns-", StringComparison.Ordinal))
                     .OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            text.Append(header.Key).Append(':').Append(header.Value).Append('\n');
        }
        text.Append(resource);
        return text.ToString();
    }

    /// <summary>Base64(HMAC-SHA1(key: the AccessKeySecret as is, data: the UTF-8 string to sign)).</summary>
    public static string Sign(string accessKeySecret, string stringToSign) => GatewaySignature.HmacSha1Base64(accessKeySecret, stringToSign);
}
