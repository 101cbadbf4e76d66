using System;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;

namespace Dypls.Http
{
    /// <summary>
    /// One HttpClient (and so one connection pool) per connect timeout, shared by every cmdlet call in
    /// the session: a new client per call would leave sockets in TIME_WAIT and redo TLS handshakes.
    /// </summary>
    internal static class SharedHttpClient
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

        /// <summary>The most connections one host can get at once: the largest -ThrottleLimit.</summary>
        internal const int MaxConcurrency = 256;

        /// <summary>
        /// SocketsHttpHandler where the runtime has one with a connect timeout (PowerShell 7's .NET 5 and later), the
        /// reason to prefer it. Decided by that capability, never by the runtime's name: Mono, which stands in for the
        /// .NET Framework in our tests, reports "Mono ..." as its FrameworkDescription and has a SocketsHttpHandler
        /// that the .NET Framework lacks.
        /// </summary>
        internal static readonly Type? SocketsHandlerType = FindSocketsHandler();

        /// <summary>
        /// Test hook: the net472 test lane sets it so that Mono runs the same HttpClientHandler path as Windows
        /// PowerShell 5.1. Set before the first client is made.
        /// </summary>
        internal static bool AvoidSocketsHandler { get; set; }

        private static Type? EffectiveSocketsHandlerType => AvoidSocketsHandler ? null : SocketsHandlerType;

        /// <summary>Which handler this process uses, for -Debug output and tests.</summary>
        public static string HandlerKind => EffectiveSocketsHandlerType != null ? "SocketsHttpHandler" : "HttpClientHandler with ServicePointManager";

        private static Type? FindSocketsHandler()
        {
            var t = typeof(HttpClientHandler).Assembly.GetType("System.Net.Http.SocketsHttpHandler", throwOnError: false);
            if (t == null || !t.IsPublic || !typeof(HttpMessageHandler).IsAssignableFrom(t)) return null;
            return t.GetProperty("ConnectTimeout")?.PropertyType == typeof(TimeSpan) ? t : null;
        }

        internal static HttpMessageHandler CreateHandler(TimeSpan connectTimeout)
        {
            // netstandard2.0 has no SocketsHttpHandler type, but PowerShell 7's runtime does; it is the
            // only handler with a connect timeout and a bounded connection lifetime (DNS changes).
            var socketsType = EffectiveSocketsHandlerType;
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

            // HttpClientHandler over ServicePointManager (Windows PowerShell 5.1's .NET Framework): its connection
            // limit and TLS versions are process-wide settings.
            ConfigureServicePoints();
            return new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        }

        /// <summary>
        /// Process-wide settings the HttpClientHandler path needs: more connections per host than the default 2
        /// (or -ThrottleLimit would queue behind two sockets), and TLS 1.2 allowed.
        /// </summary>
        internal static void ConfigureServicePoints()
        {
            if (ServicePointManager.DefaultConnectionLimit < MaxConcurrency) ServicePointManager.DefaultConnectionLimit = MaxConcurrency;
            var current = ServicePointManager.SecurityProtocol;
            var wanted = WithTls12(current);
            if (wanted != current) ServicePointManager.SecurityProtocol = wanted;
        }

        /// <summary>
        /// TLS 1.2 added to the enabled protocols. SystemDefault (0) is left alone: there the OS picks the versions
        /// (TLS 1.2 and later ones included), and OR-ing in Tls12 would turn "whatever the OS allows" into "TLS 1.2 only".
        /// </summary>
        internal static SecurityProtocolType WithTls12(SecurityProtocolType current) =>
            current == 0 ? current : current | SecurityProtocolType.Tls12;
    }
}
