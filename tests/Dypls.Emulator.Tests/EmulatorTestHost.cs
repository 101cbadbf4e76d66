using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Dypls.Emulator;
using Dypls.Signing;
using Xunit;

namespace Dypls.Emulator.Tests;

/// <summary>An in-process emulator on a free port plus a client that signs calls the way Dypls does.</summary>
internal sealed class EmulatorTestHost : IAsyncDisposable
{
    private EmulatorTestHost(EmulatorServer server)
    {
        Server = server;
        Http = new HttpClient { BaseAddress = server.BaseUri, Timeout = TimeSpan.FromSeconds(60) };
    }

    public EmulatorServer Server { get; }
    public HttpClient Http { get; }

    public static async Task<EmulatorTestHost> StartAsync(Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions { Port = 0 };
        configure?.Invoke(options);
        return new EmulatorTestHost(await EmulatorServer.StartAsync(options));
    }

    /// <summary>The API parameters of a valid call; CallTime is "now" in China Standard Time.</summary>
    public static Dictionary<string, string> ApiParameters(string callId = "call-0001", string format = "JSON") => new(StringComparer.Ordinal)
    {
        ["Action"] = EmulatorDefaults.Action,
        ["Version"] = EmulatorDefaults.ApiVersion,
        ["Format"] = format,
        ["CallId"] = callId,
        ["CallTime"] = ChinaTime(DateTimeOffset.UtcNow.AddMinutes(-5)),
        ["PoolKey"] = "FC123456",
    };

    public static string ChinaTime(DateTimeOffset instant) =>
        instant.ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// Signs and sends one call. <paramref name="tamper"/> edits the signed set before sending (to break
    /// things on purpose); <paramref name="signMethod"/> signs as another method than the one used.
    /// </summary>
    public async Task<RpcResult> CallAsync(
        IDictionary<string, string>? apiParameters = null,
        RpcTransport transport = RpcTransport.Get,
        string accessKeyId = EmulatorDefaults.DemoAccessKeyId,
        string accessKeySecret = EmulatorDefaults.DemoAccessKeySecret,
        string? securityToken = null,
        DateTimeOffset? timestamp = null,
        string? nonce = null,
        Action<IDictionary<string, string>>? tamper = null,
        string? signMethod = null,
        CancellationToken cancellationToken = default)
    {
        var method = transport == RpcTransport.Get ? "GET" : "POST";
        var signed = RpcSigner.SignRequest(signMethod ?? method, apiParameters ?? ApiParameters(), accessKeyId, accessKeySecret,
            securityToken, timestamp ?? DateTimeOffset.UtcNow, nonce ?? Guid.NewGuid().ToString("N"));
        tamper?.Invoke(signed);
        var query = RpcSigner.ToQueryString(signed);
        using var request = transport switch
        {
            RpcTransport.PostForm => new HttpRequestMessage(HttpMethod.Post, "/")
            {
                Content = new StringContent(query, Encoding.UTF8, "application/x-www-form-urlencoded"),
            },
            RpcTransport.PostQuery => new HttpRequestMessage(HttpMethod.Post, "/?" + query),
            _ => new HttpRequestMessage(HttpMethod.Get, "/?" + query),
        };
        using var response = await Http.SendAsync(request, cancellationToken);
        return new RpcResult(response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken), response.Content.Headers.ContentType?.MediaType,
            response.Headers, signed);
    }

    /// <summary>A successful call's DownloadUrl.</summary>
    public async Task<string> DownloadUrlAsync(string callId, string poolKey = "FC123456")
    {
        var p = ApiParameters(callId);
        p["PoolKey"] = poolKey;
        var result = await CallAsync(p);
        Assert.Equal(HttpStatusCode.OK, result.Status);
        Assert.Equal("OK", result["Code"]);
        return result["DownloadUrl"]!;
    }

    public async Task<byte[]> ExpectedRecordingAsync(string callId) =>
        await Http.GetByteArrayAsync("/_emulator/recording?CallId=" + Uri.EscapeDataString(callId));

    public async Task<JsonElement> StatsAsync()
    {
        var text = await Http.GetStringAsync("/_emulator/stats");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task PatchSettingsAsync(string json)
    {
        using var response = await Http.PostAsync("/_emulator/settings", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}
