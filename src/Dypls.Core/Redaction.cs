using System;
using System.Text.RegularExpressions;

namespace Dypls
{
    /// <summary>
    /// A signed download URL is a bearer credential for two hours. Everything that logs a URL goes
    /// through here so that the signature and any security token never reach a stream or a transcript.
    /// </summary>
    public static class Redaction
    {
        private static readonly Regex SecretQueryValue = new Regex(
            @"(?<=[?&](?:Signature|security-token|x-oss-security-token|SecurityToken|x-oss-signature|OSSAccessKeyId)=)[^&#]*",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        public const string Mask = "***";

        public static string RedactUrl(string? url) =>
            string.IsNullOrEmpty(url) ? string.Empty : SecretQueryValue.Replace(url, Mask);

        public static string RedactUrl(Uri? url) => url is null ? string.Empty : RedactUrl(url.OriginalString);
    }
}
