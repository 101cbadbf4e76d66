using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Dypls.Receipts
{
    /// <summary>
    /// The MNS request signature (queue API 2015-06-06): HMAC-SHA1 over the verb, the Content-MD5, Content-Type and Date
    /// header values as sent, the sorted lowercase x-mns-* headers, and the request target exactly as it goes on the wire.
    /// The STS security-token header is not signed.
    /// </summary>
    internal static class MnsSigner
    {
        public const string ApiVersion = "2015-06-06";

        /// <param name="resource">Path and query exactly as sent, such as "/queues/q/messages?numOfMessages=16&amp;waitseconds=30".</param>
        public static string StringToSign(string verb, string? contentMd5, string? contentType, string date, IEnumerable<KeyValuePair<string, string>> headers, string resource)
        {
            var sb = new StringBuilder();
            sb.Append(verb).Append('\n')
              .Append(contentMd5 ?? string.Empty).Append('\n')
              .Append(contentType ?? string.Empty).Append('\n')
              .Append(date).Append('\n');
            var mns = headers
                .Select(h => new KeyValuePair<string, string>(h.Key.ToLowerInvariant(), h.Value))
                .Where(h => h.Key.StartsWith("x-mns-", StringComparison.Ordinal))
                .OrderBy(h => h.Key, StringComparer.Ordinal);
            foreach (var h in mns) sb.Append(h.Key).Append(':').Append(h.Value).Append('\n');
            sb.Append(resource);
            return sb.ToString();
        }

        // The same HMAC-SHA1 as the RPC signature: MNS V1 mandates it too.
        public static string Sign(string accessKeySecret, string stringToSign) => Signing.RpcSigner.HmacSha1Base64(accessKeySecret, stringToSign);

        public static string Authorization(string accessKeyId, string signature) => "MNS " + accessKeyId + ":" + signature;
    }
}
