using System;
using System.Net;

namespace Dypls.Api
{
    /// <summary>Endpoints must be HTTPS, except loopback hosts (the emulator), where plain HTTP is allowed.</summary>
    internal static class EndpointPolicy
    {
        public static Uri Validate(Uri endpoint)
        {
            if (endpoint is null) throw new ArgumentNullException(nameof(endpoint));
            if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp))
            {
                throw new DyplsException("InvalidEndpoint", $"The endpoint '{endpoint}' is not an absolute http(s) URI.", category: FailureCategory.InvalidArgument);
            }
            if (endpoint.Scheme == Uri.UriSchemeHttp && !IsLoopback(endpoint))
            {
                throw new DyplsException("InsecureEndpoint",
                    $"The endpoint '{endpoint}' uses plain http. Only loopback hosts (such as the Dypls emulator on 127.0.0.1) may use http; use https for '{endpoint.Host}'.", category: FailureCategory.InvalidArgument);
            }
            // The RPC gateway signs the path "/"; keep only scheme, host and port.
            return new Uri(endpoint.GetLeftPart(UriPartial.Authority) + "/");
        }

        public static bool IsLoopback(Uri uri)
        {
            if (uri.IsLoopback) return true;
            var host = uri.Host.Trim('[', ']');
            return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
        }
    }
}
