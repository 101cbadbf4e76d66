using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Dypls.Signing;

namespace Dypls.Core.Tests.Credentials;

/// <summary>
/// A scripted STS (and credentials URI) on System.Net.HttpListener, loopback, free port: no Kestrel, so it also runs
/// on .NET Framework. Verifies AssumeRole signatures against the keys it knows, counts requests, and answers either
/// fresh session keys or the error it is told to.
/// </summary>
internal sealed class FakeStsServer : IDisposable
{
    public const string SessionSecretPrefix = "stsSessionSecretLLLLLLLLLLLL";
    public const string SessionTokenPrefix = "stsSessionTokenMMMMMMMMMMMMM";

    private readonly HttpListener _listener = new();
    private readonly Func<DateTimeOffset> _clock;
    private readonly ConcurrentDictionary<string, string> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Dictionary<string, string>> _received = new();
    private int _requests, _issued;

    public FakeStsServer(Func<DateTimeOffset>? clock = null)
    {
        _clock = clock ?? (() => DateTimeOffset.UtcNow);
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.AbsoluteUri);
        _listener.Start();
        _ = Task.Run(LoopAsync);
    }

    public Uri Endpoint { get; }
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);
    public TimeSpan Delay { get; set; }
    public int Status { get; set; } = 200;
    /// <summary>An STS error code to answer instead of credentials (e.g. NoPermission).</summary>
    public string? ErrorCode { get; set; }
    /// <summary>Replaces the whole answer of the credentials URI path (/credentials).</summary>
    public string? UriBody { get; set; }
    public int Requests => Volatile.Read(ref _requests);
    public int Issued => Volatile.Read(ref _issued);
    public IReadOnlyList<Dictionary<string, string>> Received => _received.ToArray();

    /// <summary>Lets this key sign AssumeRole (session keys it issued are added automatically).</summary>
    public void Accept(string accessKeyId, string secret) => _keys[accessKeyId] = secret;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception) { return; }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _requests);
        try
        {
            if (Delay > TimeSpan.Zero) await Task.Delay(Delay).ConfigureAwait(false);
            string body;
            using (var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8)) body = await reader.ReadToEndAsync().ConfigureAwait(false);
            var p = ParseForm(context.Request.Url!.Query.TrimStart('?'));
            foreach (var kv in ParseForm(body)) p[kv.Key] = kv.Value;
            _received.Enqueue(p);

            if (context.Request.Url.AbsolutePath == "/credentials")
            {
                if (UriBody != null) { await WriteAsync(context, Status, UriBody); return; }
                var (id, secret, token, exp) = Issue();
                await WriteAsync(context, Status, JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["Code"] = "Success", ["AccessKeyId"] = id, ["AccessKeySecret"] = secret, ["SecurityToken"] = token, ["Expiration"] = exp,
                }));
                return;
            }
            if (ErrorCode != null || Status != 200)
            {
                await WriteAsync(context, Status == 200 ? 400 : Status, JsonSerializer.Serialize(new Dictionary<string, string>
                {
                    ["RequestId"] = "REQ-1", ["HostId"] = "sts.aliyuncs.com", ["Code"] = ErrorCode ?? "InternalError", ["Message"] = "scripted failure",
                }));
                return;
            }
            if (Get(p, "Action") == "AssumeRole")
            {
                var keyId = Get(p, "AccessKeyId") ?? "";
                if (!_keys.TryGetValue(keyId, out var signingSecret))
                {
                    await WriteAsync(context, 404, """{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}""");
                    return;
                }
                var expected = RpcSigner.Sign(signingSecret, RpcSigner.StringToSign("POST", p));
                if (expected != Get(p, "Signature"))
                {
                    await WriteAsync(context, 400, """{"Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation. server string to sign is:POST&..."}""");
                    return;
                }
            }
            var (aid, asecret, atoken, aexp) = Issue();
            await WriteAsync(context, 200, JsonSerializer.Serialize(new
            {
                RequestId = "REQ-2",
                AssumedRoleUser = new { Arn = Get(p, "RoleArn") + "/" + Get(p, "RoleSessionName"), AssumedRoleId = "1:" + Get(p, "RoleSessionName") },
                Credentials = new { AccessKeyId = aid, AccessKeySecret = asecret, SecurityToken = atoken, Expiration = aexp },
            }));
        }
        catch (Exception)
        {
            try { context.Response.Abort(); } catch (Exception) { }
        }
    }

    private (string Id, string Secret, string Token, string Expiration) Issue()
    {
        var n = Interlocked.Increment(ref _issued);
        var id = "STS.session" + n.ToString(CultureInfo.InvariantCulture);
        var secret = SessionSecretPrefix + n.ToString(CultureInfo.InvariantCulture);
        _keys[id] = secret;
        var exp = (_clock() + Lifetime).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return (id, secret, SessionTokenPrefix + n.ToString(CultureInfo.InvariantCulture), exp);
    }

    private static string? Get(Dictionary<string, string> p, string key) => p.TryGetValue(key, out var v) ? v : null;

    private static Dictionary<string, string> ParseForm(string text)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.Split(Ampersand, StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            var k = Uri.UnescapeDataString((eq < 0 ? pair : pair.Substring(0, eq)).Replace('+', ' '));
            var v = eq < 0 ? "" : Uri.UnescapeDataString(pair.Substring(eq + 1).Replace('+', ' '));
            d[k] = v;
        }
        return d;
    }

    private static readonly char[] Ampersand = { '&' };

#pragma warning disable CA1835 // the Memory overload is .NET Core only; this file also builds for net472
    private static async Task WriteAsync(HttpListenerContext context, int status, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes, 0, bytes.Length).ConfigureAwait(false);
        context.Response.Close();
    }
#pragma warning restore CA1835

    public void Dispose()
    {
        try { _listener.Stop(); _listener.Close(); } catch (ObjectDisposedException) { }
    }
}
