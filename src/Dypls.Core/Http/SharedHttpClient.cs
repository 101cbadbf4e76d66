using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Runtime.InteropServices;

namespace Dypls.Http
{
    /// <summary>
    /// One HttpClient (and so one connection pool) per connect timeout, shared by every cmdlet call in
    /// the session: a new client per call would leave sockets in TIME_WAIT and redo TLS handshakes.
    /// </summary>
    public static class SharedHttpClient
    {
        private static readonly ConcurrentDictionary<TimeSpan, HttpClient> Clients = new ConcurrentDictionary<TimeSpan, HttpClient>();

        public static HttpClient Get(TimeSpan connectTimeout) => Clients.GetOrAdd(connectTimeout, Create);

        private static HttpClient Create(TimeSpan connectTimeout)
        {
            var client = new HttpClient(CreateHandler(connectTimeout), disposeHandler: true)
            {
                // Each call sets its own deadline through a CancellationToken.
                Timeout = System.Threading.Timeout.InfiniteTimeSpan,
            };
            client.DefaultRequestHeaders.UserAgent.ParseAdd("Dypls/" + typeof(SharedHttpClient).Assembly.GetName().Version?.ToString(3));
            return client;
        }

        private static HttpMessageHandler CreateHandler(TimeSpan connectTimeout)
        {
            // netstandard2.0 has no SocketsHttpHandler type, but PowerShell 7's runtime does; it is the
            // only handler with a connect timeout and a bounded connection lifetime (DNS changes).
            var socketsType = Type.GetType("System.Net.Http.SocketsHttpHandler, System.Net.Http", throwOnError: false);
            if (socketsType != null)
            {
                var handler = (HttpMessageHandler)Activator.CreateInstance(socketsType)!;
                socketsType.GetProperty("ConnectTimeout")?.SetValue(handler, connectTimeout);
                socketsType.GetProperty("PooledConnectionLifetime")?.SetValue(handler, TimeSpan.FromMinutes(5));
                socketsType.GetProperty("PooledConnectionIdleTimeout")?.SetValue(handler, TimeSpan.FromSeconds(60));
                socketsType.GetProperty("AllowAutoRedirect")?.SetValue(handler, false);
                socketsType.GetProperty("UseCookies")?.SetValue(handler, false);
                return handler;
            }

            if (RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal))
            {
                // Windows PowerShell 5.1: allow TLS 1.2 and more than the default 2 connections per host.
                ServicePointManager.SecurityProtocol |= SecurityProtocolType.Tls12;
                if (ServicePointManager.DefaultConnectionLimit < 64) ServicePointManager.DefaultConnectionLimit = 64;
            }
            return new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        }
    }
}
