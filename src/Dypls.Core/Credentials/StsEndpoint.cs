using System;
using System.Text.RegularExpressions;
using Dypls.Api;

namespace Dypls.Credentials
{
    /// <summary>
    /// Where AssumeRole and AssumeRoleWithOIDC go, chosen as Alibaba Cloud's credentials libraries choose it:
    /// an explicit endpoint (the profile's sts_endpoint, else ALIBABA_CLOUD_STS_ENDPOINT); else the regional
    /// endpoint of sts_region / ALIBABA_CLOUD_STS_REGION (sts-vpc.REGION.aliyuncs.com with enable_vpc /
    /// ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED); else sts.aliyuncs.com.
    /// </summary>
    internal static class StsEndpoint
    {
        public static readonly Uri Default = new Uri("https://sts.aliyuncs.com/");

        // Region ids are lower-case letters, digits and dashes (cn-hangzhou, ap-southeast-1); anything else could
        // move the host name somewhere else (cn-hangzhou.example.com@attacker).
        private static readonly Regex RegionPattern = new Regex("^[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant);

        // A host, or host:port, as ACK's RRSA webhook and the SDKs' stsEndpoint option give it.
        private static readonly Regex HostPattern = new Regex(@"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$", RegexOptions.CultureInvariant);

        /// <summary>The endpoint for the given settings; the profile's values win over the environment's.</summary>
        /// <param name="explicitEndpoint">sts_endpoint (profile) or ALIBABA_CLOUD_STS_ENDPOINT: a bare host (https implied) or an http(s) URL.</param>
        /// <param name="region">sts_region or ALIBABA_CLOUD_STS_REGION.</param>
        /// <param name="vpc">enable_vpc or ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED.</param>
        /// <param name="where">Names the setting in errors, e.g. "sts_endpoint of profile 'prod'".</param>
        /// <exception cref="CredentialException">InvalidStsEndpoint: not a host or URL, plain http to a host that is not loopback, or a malformed region.</exception>
        public static Uri Select(string? explicitEndpoint, string? region, bool vpc, string where)
        {
            if (!string.IsNullOrWhiteSpace(explicitEndpoint)) return Parse(explicitEndpoint!.Trim(), where);
            if (!string.IsNullOrWhiteSpace(region))
            {
                var r = region!.Trim();
                if (!RegionPattern.IsMatch(r))
                    throw Invalid($"The STS region '{MessageText.Shorten(r)}' ({where}) is not a region id like cn-hangzhou.");
                return new Uri($"https://{(vpc ? "sts-vpc" : "sts")}.{r}.aliyuncs.com/");
            }
            return Default;
        }

        /// <summary>A bare host or host:port means https; a URL may be https, or http only for a loopback host (the emulator).</summary>
        public static Uri Parse(string value, string where)
        {
            if (value.IndexOf("://", StringComparison.Ordinal) < 0)
            {
                if (!HostPattern.IsMatch(value))
                    throw Invalid($"The STS endpoint '{MessageText.Shorten(value)}' ({where}) is neither a host name (sts.cn-hangzhou.aliyuncs.com) nor an http(s) URL.");
                return new Uri("https://" + value + "/");
            }
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
                || !string.IsNullOrEmpty(uri.UserInfo))
                throw Invalid($"The STS endpoint '{MessageText.Shorten(value)}' ({where}) is not an absolute http(s) URL.");
            if (uri.Scheme == Uri.UriSchemeHttp && !EndpointPolicy.IsLoopback(uri))
                throw Invalid($"The STS endpoint '{MessageText.Shorten(value)}' ({where}) uses plain http. STS answers with secrets: use https, or give the bare host name (https is implied). Only loopback hosts (such as the Dypls emulator) may use http.");
            // STS signs the path "/": keep scheme, host and port only.
            return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
        }

        private static CredentialException Invalid(string message) => new CredentialException(CredentialErrorIds.InvalidStsEndpoint, message);
    }
}
