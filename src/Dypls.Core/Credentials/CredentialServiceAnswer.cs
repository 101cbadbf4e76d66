using System;
using System.Text.Json;

namespace Dypls.Credentials
{
    /// <summary>
    /// The answer of a credential service, the ECS metadata service's and a credentials URI's alike: a JSON object with
    /// Code 'Success', AccessKeyId, AccessKeySecret, SecurityToken and Expiration.
    /// </summary>
    internal static class CredentialServiceAnswer
    {
        /// <param name="body">The answer's text. It is never quoted in an error: it holds the secret.</param>
        /// <param name="source">What the credential says it came from, safe to log.</param>
        /// <param name="expirationRequired">True: an answer without Expiration is unusable.</param>
        /// <param name="failed">Makes the error that names the service, from why the answer is unusable.</param>
        internal static AccessKeyCredential Parse(string body, string source, bool expirationRequired, Func<string, CredentialException> failed)
        {
            try
            {
                using var doc = JsonDocument.Parse(body);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw failed("the answer is not a JSON object");
                var code = JsonFields.Text(root, "Code");
                if (!string.Equals(code, "Success", StringComparison.OrdinalIgnoreCase))
                    throw failed($"the answer's Code is '{MessageText.Shorten(code ?? "(none)")}', not 'Success'");
                var id = Required(root, "AccessKeyId", failed);
                var secret = Required(root, "AccessKeySecret", failed);
                var token = Required(root, "SecurityToken", failed);
                DateTimeOffset? expiration = null;
                var text = expirationRequired ? Required(root, "Expiration", failed) : JsonFields.Text(root, "Expiration");
                if (!string.IsNullOrWhiteSpace(text))
                {
                    if (!StsClient.TryParseExpiration(text!, out var e)) throw failed("the answer's Expiration is not a date");
                    expiration = e;
                }
                return new AccessKeyCredential(id, secret, token, source, expiration);
            }
            catch (JsonException)
            {
                // The parser's message may quote the body, which holds the secret.
                throw failed("the answer is not valid JSON");
            }
        }

        private static string Required(JsonElement root, string name, Func<string, CredentialException> failed)
        {
            var v = JsonFields.Text(root, name);
            if (string.IsNullOrWhiteSpace(v)) throw failed($"the answer has no {name}");
            return v!;
        }
    }
}
