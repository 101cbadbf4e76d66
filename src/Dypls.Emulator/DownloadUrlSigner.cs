using System.Globalization;
using System.Text;

namespace Dypls.Emulator;

/// <summary>
/// OSS V1 query-string signatures for recording URLs, and the object names that carry the CallId.
/// Object names are URL-safe so the string-to-sign and the request path never disagree about encoding.
/// </summary>
public static class DownloadUrlSigner
{
    private const string Extension = ".mp3";

    /// <summary>"&lt;pool part&gt;_&lt;base64url(UTF-8 CallId)&gt;.mp3": reversible for any CallId, safe in a path.</summary>
    public static string ObjectNameFor(string callId, string poolKey)
    {
        var pool = new string(poolKey.Where(c => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-').Take(32).ToArray());
        if (pool.Length == 0)
        {
            pool = "pool";
        }
        return pool + "_" + Base64UrlEncode(Encoding.UTF8.GetBytes(callId)) + Extension;
    }

    /// <summary>The CallId an object name was made from, or null when it is not one of ours.</summary>
    public static string? CallIdFrom(string objectName)
    {
        var underscore = objectName.IndexOf('_');
        if (underscore <= 0 || !objectName.EndsWith(Extension, StringComparison.Ordinal))
        {
            return null;
        }
        var encoded = objectName.Substring(underscore + 1, objectName.Length - underscore - 1 - Extension.Length);
        try
        {
            var strict = new UTF8Encoding(false, throwOnInvalidBytes: true);
            var callId = strict.GetString(Base64UrlDecode(encoded));
            return callId.Length == 0 ? null : callId;
        }
        catch (FormatException)
        {
            return null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public static string StringToSign(long expires, string bucket, string objectName) =>
        "GET\n\n\n" + expires.ToString(CultureInfo.InvariantCulture) + "\n/" + bucket + "/" + objectName;

    public static string Sign(string ossSecret, long expires, string bucket, string objectName) =>
        GatewaySignature.HmacSha1Base64(ossSecret, StringToSign(expires, bucket, objectName));

    /// <summary>Path-style URL on the emulator: &lt;base&gt;/&lt;bucket&gt;/&lt;object&gt;?Expires=..&amp;OSSAccessKeyId=..&amp;Signature=..</summary>
    public static string BuildUrl(string baseUrl, string objectName, long expires)
    {
        var signature = Sign(EmulatorDefaults.OssAccessKeySecret, expires, EmulatorDefaults.Bucket, objectName);
        return baseUrl.TrimEnd('/') + "/" + EmulatorDefaults.Bucket + "/" + objectName +
               "?Expires=" + expires.ToString(CultureInfo.InvariantCulture) +
               "&OSSAccessKeyId=" + Uri.EscapeDataString(EmulatorDefaults.OssAccessKeyId) +
               "&Signature=" + Uri.EscapeDataString(signature);
    }

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Base64UrlDecode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        switch (s.Length % 4)
        {
            case 2: s += "=="; break;
            case 3: s += "="; break;
            case 1: throw new FormatException("Not base64url.");
        }
        return Convert.FromBase64String(s);
    }
}
