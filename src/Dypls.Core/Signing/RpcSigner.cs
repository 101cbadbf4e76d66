using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Linq;
using System.Security.Cryptography;
using System.Text;

namespace Dypls.Signing
{
    /// <summary>Alibaba Cloud RPC signature V1 (HMAC-SHA1), as the official SDKs compute it.</summary>
    internal static class RpcSigner
    {
        public const string SignatureMethod = "HMAC-SHA1";
        public const string SignatureVersion = "1.0";
        public const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

        /// <summary>Sorted (ordinal), encoded, joined with '&amp;'; the "Signature" parameter is left out.</summary>
        public static string CanonicalQueryString(IEnumerable<KeyValuePair<string, string>> parameters)
        {
            var sorted = parameters
                .Where(p => !string.Equals(p.Key, "Signature", StringComparison.Ordinal))
                .OrderBy(p => p.Key, StringComparer.Ordinal);
            return string.Join("&", sorted.Select(p => PercentEncoding.Encode(p.Key) + "=" + PercentEncoding.Encode(p.Value ?? string.Empty)));
        }

        public static string StringToSign(string httpMethod, IEnumerable<KeyValuePair<string, string>> parameters) =>
            httpMethod.ToUpperInvariant() + "&" + PercentEncoding.Encode("/") + "&" + PercentEncoding.Encode(CanonicalQueryString(parameters));

        /// <summary>Base64(HMAC-SHA1(secret + "&amp;", stringToSign)).</summary>
        public static string Sign(string accessKeySecret, string stringToSign) =>
            HmacSha1Base64(accessKeySecret + "&", stringToSign);

        public static string HmacSha1Base64(string key, string data) => HmacSha1Base64(Encoding.UTF8.GetBytes(key), data);

        [SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "HMAC-SHA1 is mandated by Alibaba Cloud's RPC V1 and OSS V1 signatures.")]
        internal static string HmacSha1Base64(byte[] key, string data)
        {
            using var hmac = new HMACSHA1(key);
            return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(data)));
        }

        public static string FormatTimestamp(DateTimeOffset time) =>
            time.UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture);

        /// <summary>
        /// Adds the common parameters (AccessKeyId, SignatureMethod/Version/Nonce, Timestamp, SecurityToken)
        /// to the API parameters and returns the full set including "Signature".
        /// </summary>
        public static SortedDictionary<string, string> SignRequest(
            string httpMethod,
            IDictionary<string, string> apiParameters,
            string accessKeyId,
            string accessKeySecret,
            string? securityToken,
            DateTimeOffset now,
            string nonce) =>
            SignRequest(httpMethod, apiParameters, accessKeyId, Encoding.UTF8.GetBytes(accessKeySecret + "&"), securityToken, now, nonce);

        /// <summary>The same with a credential's key, derived once for all its requests.</summary>
        public static SortedDictionary<string, string> SignRequest(
            string httpMethod, IDictionary<string, string> apiParameters, Credentials.AccessKeyCredential credential, DateTimeOffset now, string nonce) =>
            SignRequest(httpMethod, apiParameters, credential.AccessKeyId, credential.RpcSigningKey, credential.SecurityToken, now, nonce);

        private static SortedDictionary<string, string> SignRequest(
            string httpMethod,
            IDictionary<string, string> apiParameters,
            string accessKeyId,
            byte[] signingKey,
            string? securityToken,
            DateTimeOffset now,
            string nonce)
        {
            var all = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in apiParameters)
            {
                all[p.Key] = p.Value;
            }
            all["AccessKeyId"] = accessKeyId;
            all["SignatureMethod"] = SignatureMethod;
            all["SignatureVersion"] = SignatureVersion;
            all["SignatureNonce"] = nonce;
            all["Timestamp"] = FormatTimestamp(now);
            if (!string.IsNullOrEmpty(securityToken))
            {
                all["SecurityToken"] = securityToken!;
            }
            all["Signature"] = HmacSha1Base64(signingKey, StringToSign(httpMethod, all));
            return all;
        }

        /// <summary>application/x-www-form-urlencoded or query text with RPC encoding.</summary>
        public static string ToQueryString(IEnumerable<KeyValuePair<string, string>> parameters) =>
            string.Join("&", parameters.Select(p => PercentEncoding.Encode(p.Key) + "=" + PercentEncoding.Encode(p.Value ?? string.Empty)));
    }
}
