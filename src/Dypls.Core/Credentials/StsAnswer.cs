using System.Text.Json;

namespace Dypls.Credentials
{
    /// <summary>What STS answered: its Code, Message and RequestId, and the role's keys when it gave them.</summary>
    internal readonly struct StsAnswer
    {
        private StsAnswer(string? code, string? message, string? requestId, Keys? credential)
        {
            Code = code;
            Message = message;
            RequestId = requestId;
            Credential = credential;
        }

        public string? Code { get; }
        public string? Message { get; }
        public string? RequestId { get; }

        /// <summary>Null unless the answer holds AccessKeyId, AccessKeySecret and SecurityToken.</summary>
        public Keys? Credential { get; }

        /// <summary>Never throws: an answer that is not JSON (a proxy's page) is reported by its HTTP status, and never quoted.</summary>
        public static StsAnswer Parse(string body)
        {
            if (string.IsNullOrWhiteSpace(body)) return default;
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return default;
                Keys? keys = null;
                if (root.TryGetProperty("Credentials", out var c) && c.ValueKind == JsonValueKind.Object)
                {
                    var id = JsonFields.Text(c, "AccessKeyId");
                    var secret = JsonFields.Text(c, "AccessKeySecret");
                    var token = JsonFields.Text(c, "SecurityToken");
                    if (!string.IsNullOrEmpty(id) && !string.IsNullOrEmpty(secret) && !string.IsNullOrEmpty(token))
                        keys = new Keys(id!, secret!, token!, JsonFields.Text(c, "Expiration"));
                }
                return new StsAnswer(JsonFields.Text(root, "Code"), JsonFields.Text(root, "Message"), JsonFields.Text(root, "RequestId"), keys);
            }
            catch (JsonException)
            {
                return default;
            }
        }

        /// <summary>The role's temporary keys, and their Expiration as STS wrote it.</summary>
        internal readonly struct Keys
        {
            public Keys(string id, string secret, string token, string? expiration)
            {
                AccessKeyId = id;
                AccessKeySecret = secret;
                SecurityToken = token;
                Expiration = expiration;
            }

            public string AccessKeyId { get; }
            public string AccessKeySecret { get; }
            public string SecurityToken { get; }
            public string? Expiration { get; }
        }
    }
}
