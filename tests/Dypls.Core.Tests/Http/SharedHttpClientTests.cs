using System.Net;

// ServicePointManager is obsolete on .NET, and is exactly what the .NET Framework path configures: these tests read it.
#pragma warning disable SYSLIB0014
// CA5364: the tests set the deprecated TLS 1.0/1.1 on purpose, to prove that Dypls adds TLS 1.2 to them.
#pragma warning disable CA5364
using Dypls.Http;

namespace Dypls.Core.Tests.Http;

/// <summary>
/// The handler is chosen by capability. On net472 (Mono here, the .NET Framework in Windows PowerShell 5.1) that
/// is HttpClientHandler with process-wide ServicePointManager settings; these tests prove them on that lane.
/// </summary>
[Collection(ServicePointSettings.Name)]
public class SharedHttpClientTests
{
    private const int Ssl3 = 48; // SecurityProtocolType.Ssl3, obsolete as a name

    [Fact]
    public void The_handler_follows_what_the_runtime_offers()
    {
#if NETFRAMEWORK
        // The .NET Framework has no SocketsHttpHandler; Mono has one with ConnectTimeout, which the lane turns off
        // (see NetFrameworkLane) so that these tests take the Windows PowerShell 5.1 path. The choice never reads
        // FrameworkDescription, which says "Mono ..." here.
        var mono = Type.GetType("Mono.Runtime") != null;
        Assert.Equal(mono, SharedHttpClient.SocketsHandlerType != null);
        Assert.True(SharedHttpClient.AvoidSocketsHandler);
        Assert.Equal("HttpClientHandler with ServicePointManager", SharedHttpClient.HandlerKind);
        using var handler = SharedHttpClient.CreateHandler(TimeSpan.FromSeconds(5));
        Assert.IsType<HttpClientHandler>(handler);
#else
        Assert.NotNull(SharedHttpClient.SocketsHandlerType);
        Assert.Equal("SocketsHttpHandler", SharedHttpClient.HandlerKind);
        using var handler = SharedHttpClient.CreateHandler(TimeSpan.FromSeconds(5));
        var sockets = Assert.IsType<SocketsHttpHandler>(handler);
        Assert.Equal(TimeSpan.FromSeconds(5), sockets.ConnectTimeout);
        Assert.False(sockets.AllowAutoRedirect);
#endif
    }

    [Theory]
    [InlineData(0, 0)] // SystemDefault: the OS decides, and must keep deciding (TLS 1.3 included)
    [InlineData((int)SecurityProtocolType.Tls, (int)(SecurityProtocolType.Tls | SecurityProtocolType.Tls12))]
    [InlineData(Ssl3 | (int)SecurityProtocolType.Tls, Ssl3 | (int)(SecurityProtocolType.Tls | SecurityProtocolType.Tls12))]
    [InlineData((int)SecurityProtocolType.Tls12, (int)SecurityProtocolType.Tls12)]
    [InlineData((int)(SecurityProtocolType.Tls11 | SecurityProtocolType.Tls12), (int)(SecurityProtocolType.Tls11 | SecurityProtocolType.Tls12))]
    public void Tls12_is_added_but_SystemDefault_is_left_alone(int current, int expected)
    {
        Assert.Equal((SecurityProtocolType)expected, SharedHttpClient.WithTls12((SecurityProtocolType)current));
    }

    [Fact]
    public void Service_point_settings_allow_the_largest_ThrottleLimit_and_TLS12()
    {
        var savedLimit = ServicePointManager.DefaultConnectionLimit;
        var savedProtocol = ServicePointManager.SecurityProtocol;
        try
        {
            ServicePointManager.DefaultConnectionLimit = 2; // the .NET Framework's default for a client app
            ServicePointManager.SecurityProtocol = SecurityProtocolType.Tls;
            SharedHttpClient.ConfigureServicePoints();
            Assert.Equal(SharedHttpClient.MaxConcurrency, ServicePointManager.DefaultConnectionLimit);
            Assert.Equal(SecurityProtocolType.Tls | SecurityProtocolType.Tls12, ServicePointManager.SecurityProtocol);

            // A higher limit set by the admin is kept.
            ServicePointManager.DefaultConnectionLimit = 1000;
            SharedHttpClient.ConfigureServicePoints();
            Assert.Equal(1000, ServicePointManager.DefaultConnectionLimit);
        }
        finally
        {
            ServicePointManager.DefaultConnectionLimit = savedLimit;
            ServicePointManager.SecurityProtocol = savedProtocol;
            SharedHttpClient.ConfigureServicePoints(); // as the shared clients of the other tests expect
        }
    }

    [Fact]
    public void Max_concurrency_is_the_largest_ThrottleLimit()
    {
        Assert.Equal(256, SharedHttpClient.MaxConcurrency);
    }

    [Fact]
    public async Task Many_requests_to_one_host_run_at_once()
    {
        // The .NET Framework allows 2 connections per host unless told otherwise: -ThrottleLimit 16 would then crawl
        // through two sockets. The server holds every request until 8 are in flight (or 10 s pass).
        const int wanted = 8;
        var inFlight = 0;
        var maxInFlight = 0;
        var all = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = new TestServers.LoopbackHttpServer(async ctx =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            if (now >= wanted) all.TrySetResult(true);
            await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(10), ctx.Aborted));
            Interlocked.Decrement(ref inFlight);
            await ctx.Response.WriteAsync("ok");
        });
        var http = SharedHttpClient.Get(TimeSpan.FromSeconds(5));
        var requests = Enumerable.Range(0, wanted).Select(_ => http.GetStringAsync(server.BaseUri)).ToArray();
        var bodies = await Task.WhenAll(requests);
        Assert.All(bodies, b => Assert.Equal("ok", b));
        Assert.Equal(wanted, Volatile.Read(ref maxInFlight));
#if NETFRAMEWORK
        // Mono does not hold HttpClientHandler to the per-host limit as the .NET Framework does (measured: 8 at once
        // with the limit at 2), so on this lane the setting itself is what proves the 5.1 behaviour.
        Assert.True(ServicePointManager.DefaultConnectionLimit >= SharedHttpClient.MaxConcurrency, "DefaultConnectionLimit " + ServicePointManager.DefaultConnectionLimit);
        var p = ServicePointManager.SecurityProtocol;
        Assert.True(p == 0 || (p & SecurityProtocolType.Tls12) != 0, "SecurityProtocol " + p);
#endif
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }
}

/// <summary>Tests that change the process-wide ServicePointManager run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ServicePointSettings
{
    public const string Name = "ServicePointManager (process-wide)";
}
