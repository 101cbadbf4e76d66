using System.Security.Cryptography;
using System.Text;

namespace Dypls.Emulator.Tests;

/// <summary>
/// The tests' own MNS signer, written from the MNS signature page (not the emulator's code): the verb, Content-MD5,
/// Content-Type and Date lines, the x-mns-* headers lowercased and sorted as name:value lines, then the resource.
/// </summary>
internal static class MnsTestSigner
{
    public static string StringToSign(string verb, string contentMd5, string contentType, string date,
        IEnumerable<KeyValuePair<string, string>> headers, string resource)
    {
        var canonical = headers
            .Where(h => h.Key.ToLowerInvariant().StartsWith("x-mns-", StringComparison.Ordinal))
            .Select(h => h.Key.ToLowerInvariant() + ":" + h.Value + "\n")
            .OrderBy(line => line, StringComparer.Ordinal);
        return verb + "\n" + contentMd5 + "\n" + contentType + "\n" + date + "\n" + string.Concat(canonical) + resource;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350:Do Not Use Weak Cryptographic Algorithms", Justification = "MNS signs with HMAC-SHA1.")]
    public static string Sign(string secret, string stringToSign) =>
        Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(stringToSign)));
}
