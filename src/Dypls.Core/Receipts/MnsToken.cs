using System;

namespace Dypls.Receipts
{
    /// <summary>The temporary key QueryTokenForMnsQueue hands out for one receipt queue. Its secret and token never leave the core.</summary>
    internal sealed class MnsToken
    {
        public MnsToken(string accessKeyId, string accessKeySecret, string securityToken, DateTimeOffset fetchedAt, DateTimeOffset expiresAt)
        {
            AccessKeyId = accessKeyId;
            AccessKeySecret = accessKeySecret;
            SecurityToken = securityToken;
            FetchedAt = fetchedAt;
            ExpiresAt = expiresAt;
        }

        public string AccessKeyId { get; }
        public string AccessKeySecret { get; }
        public string SecurityToken { get; }
        public DateTimeOffset FetchedAt { get; }
        public DateTimeOffset ExpiresAt { get; }

        /// <summary>
        /// When to fetch the next one: 2 minutes before it expires (the official Java and Python consumers' margin), or at
        /// half its lifetime when that is shorter, so a short-lived token is neither used up nor fetched for every request.
        /// </summary>
        public DateTimeOffset RefreshAt
        {
            get
            {
                var lifetime = ExpiresAt - FetchedAt;
                var margin = TimeSpan.FromTicks(Math.Max(0, Math.Min(TimeSpan.FromMinutes(2).Ticks, lifetime.Ticks / 2)));
                return ExpiresAt - margin;
            }
        }
    }
}
