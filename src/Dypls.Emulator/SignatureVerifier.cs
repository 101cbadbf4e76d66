using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dypls.Emulator;

/// <summary>
/// The gateway's authentication of an RPC V1 request, in the order Alibaba's gateway applies it: presence of
/// the common parameters, signature method/version, timestamp, AccessKey, SecurityToken, signature, nonce.
/// </summary>
public sealed class SignatureVerifier
{
    // Checked in this order, so the first missing one is the one reported.
    private static readonly string[] RequiredCommon = { "AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp" };

    private readonly CredentialStore _credentials;
    private readonly NonceCache _nonces;

    public SignatureVerifier(CredentialStore credentials, NonceCache nonces)
    {
        _credentials = credentials;
        _nonces = nonces;
    }

    /// <summary>The key of an AccessKeyId (null when unknown); the gateway asks it for its RAM policy once the call is authentic.</summary>
    public EmulatorAccessKey? Find(string accessKeyId) => _credentials.Find(accessKeyId);

    /// <summary>Null when the request is authentic; otherwise the gateway error to answer.</summary>
    public GatewayError? Verify(string httpMethod, IReadOnlyDictionary<string, string> parameters, DateTimeOffset now, TimeSpan window)
    {
        foreach (var name in RequiredCommon)
        {
            if (!parameters.TryGetValue(name, out var value) || value.Length == 0)
            {
                return GatewayError.Missing(name);
            }
        }
        if (!string.Equals(parameters["SignatureMethod"], GatewaySignature.SignatureMethod, StringComparison.Ordinal))
        {
            return GatewayError.InvalidSignatureMethod();
        }
        if (!string.Equals(parameters["SignatureVersion"], GatewaySignature.SignatureVersion, StringComparison.Ordinal))
        {
            return GatewayError.InvalidSignatureVersion();
        }
        if (!DateTimeOffset.TryParseExact(parameters["Timestamp"], GatewaySignature.TimestampFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var timestamp))
        {
            return GatewayError.TimestampFormat();
        }
        if ((timestamp - now).Duration() > window)
        {
            return GatewayError.TimestampExpired();
        }

        var key = _credentials.Find(parameters["AccessKeyId"]);
        if (key is null)
        {
            return GatewayError.AccessKeyNotFound();
        }
        if (key.IsSts)
        {
            // A plain key that sends a token is let through (the token is ignored); an STS key must send its own.
            if (!parameters.TryGetValue("SecurityToken", out var token) || token.Length == 0)
            {
                return GatewayError.SecurityTokenMalformed();
            }
            if (!FixedTimeEquals(token, key.SecurityToken!))
            {
                return GatewayError.SecurityTokenMismatch();
            }
            if (key.Expiration is { } expiration && expiration <= now)
            {
                return GatewayError.SecurityTokenExpired();
            }
        }

        // Everything received except Signature, exactly as received, with the request's own HTTP method.
        var stringToSign = GatewaySignature.StringToSign(httpMethod, parameters);
        var expected = GatewaySignature.Sign(key.AccessKeySecret, stringToSign);
        if (!FixedTimeEquals(expected, parameters["Signature"]))
        {
            return GatewayError.SignatureDoesNotMatch(stringToSign);
        }

        // After the signature check, so a forged request cannot burn somebody's nonce.
        if (!_nonces.TryUse(key.AccessKeyId, parameters["SignatureNonce"], now, window))
        {
            return GatewayError.NonceUsed();
        }
        return null;
    }

    private static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
