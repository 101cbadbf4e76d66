using System;

namespace Dypls.Credentials
{
    /// <summary>
    /// An AccessKey pair, optionally with an STS token. ToString never shows the secret or token,
    /// so a credential that leaks into a log or an error message shows only the masked id.
    /// </summary>
    internal sealed class AccessKeyCredential
    {
        public AccessKeyCredential(string accessKeyId, string accessKeySecret, string? securityToken, string source, DateTimeOffset? expiration = null)
        {
            if (string.IsNullOrWhiteSpace(accessKeyId)) throw new ArgumentException("The AccessKeyId is empty.", nameof(accessKeyId));
            if (string.IsNullOrEmpty(accessKeySecret)) throw new ArgumentException("The AccessKeySecret is empty.", nameof(accessKeySecret));
            AccessKeyId = accessKeyId.Trim();
            AccessKeySecret = accessKeySecret;
            SecurityToken = string.IsNullOrEmpty(securityToken) ? null : securityToken;
            Source = source;
            Expiration = expiration;
        }

        public string AccessKeyId { get; }
        public string AccessKeySecret { get; }
        public string? SecurityToken { get; }

        /// <summary>Where the credential came from, e.g. "environment variables" or "profile 'prod' in ~/.aliyun/config.json".</summary>
        public string Source { get; }

        /// <summary>When temporary (STS) credentials stop working; null for long-lived keys.</summary>
        public DateTimeOffset? Expiration { get; }

        public string MaskedAccessKeyId => Mask(AccessKeyId);

        private byte[]? _rpcSigningKey;

        /// <summary>The RPC V1 HMAC key (secret + "&amp;" as UTF-8), derived once per credential rather than once per request.</summary>
        internal byte[] RpcSigningKey => _rpcSigningKey ??= System.Text.Encoding.UTF8.GetBytes(AccessKeySecret + "&");

        /// <summary>First 4 and last 3 characters of the id, the rest as '*'.</summary>
        public static string Mask(string accessKeyId)
        {
            if (accessKeyId.Length <= 8) return new string('*', accessKeyId.Length);
            return accessKeyId.Substring(0, 4) + new string('*', accessKeyId.Length - 7) + accessKeyId.Substring(accessKeyId.Length - 3);
        }

        public override string ToString() => $"{MaskedAccessKeyId} ({Source}{(SecurityToken is null ? "" : ", STS")})";
    }
}
