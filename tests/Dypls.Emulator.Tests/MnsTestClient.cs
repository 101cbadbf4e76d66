using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dypls.Emulator;

namespace Dypls.Emulator.Tests;

/// <summary>Signs and sends MNS requests to the emulator with a token from QueryTokenForMnsQueue, resource exactly as signed.</summary>
internal sealed class MnsTestClient
{
    private readonly HttpClient _http;

    public MnsTestClient(HttpClient http, string accessKeyId, string accessKeySecret, string securityToken)
    {
        _http = http;
        KeyId = accessKeyId;
        KeySecret = accessKeySecret;
        Token = securityToken;
    }

    /// <summary>The STS AccessKeyId, AccessKeySecret and SecurityToken this client signs with (tests change them to break things).</summary>
    public string KeyId { get; set; }
    public string KeySecret { get; set; }
    public string Token { get; set; }

    /// <summary>A token for the message type (and queue, when given) and a client that signs with it.</summary>
    public static async Task<MnsTestClient> ForAsync(EmulatorTestHost host, string messageType = "SecretRecording", string? queueName = null)
    {
        var result = await host.CallAsync(EmulatorMnsTokenTests.TokenParameters(messageType, queueName));
        Assert.True(result["Code"] == "OK", result.ToString());
        var dto = result.Json!.Value.GetProperty("MessageTokenDTO");
        return new MnsTestClient(host.Http, dto.GetProperty("AccessKeyId").GetString()!, dto.GetProperty("AccessKeySecret").GetString()!,
            dto.GetProperty("SecurityToken").GetString()!);
    }

    /// <param name="tamper">Changes the request after it was signed (to break it on purpose).</param>
    /// <param name="signedResource">Signs this resource instead of the one sent.</param>
    public async Task<MnsAnswer> SendAsync(HttpMethod method, string resource, string? body = null, DateTimeOffset? date = null,
        Action<HttpRequestMessage>? tamper = null, string? signedResource = null, bool dateAsXMnsDateOnly = false, CancellationToken ct = default)
    {
        using var request = new HttpRequestMessage(method, new Uri(_http.BaseAddress!, resource));
        var dateText = (date ?? DateTimeOffset.UtcNow).ToString("R", CultureInfo.InvariantCulture);
        var md5 = string.Empty;
        var type = string.Empty;
        if (body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            type = "text/xml";
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(type);
            // As Node and Python do it: base64 of the lowercase hex digest.
            md5 = Convert.ToBase64String(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(MD5Hash(body))));
            request.Content.Headers.TryAddWithoutValidation("Content-MD5", md5);
        }
        var headers = new List<KeyValuePair<string, string>> { new("x-mns-version", EmulatorDefaults.MnsVersion) };
        if (dateAsXMnsDateOnly)
        {
            headers.Add(new("x-mns-date", dateText));
        }
        else
        {
            request.Headers.TryAddWithoutValidation("Date", dateText);
        }
        foreach (var h in headers)
        {
            request.Headers.TryAddWithoutValidation(h.Key, h.Value);
        }
        var stringToSign = MnsTestSigner.StringToSign(method.Method, md5, type, dateText, headers, signedResource ?? resource);
        request.Headers.TryAddWithoutValidation("Authorization", "MNS " + KeyId + ":" + MnsTestSigner.Sign(KeySecret, stringToSign));
        request.Headers.TryAddWithoutValidation("security-token", Token);
        tamper?.Invoke(request);
        using var response = await _http.SendAsync(request, ct);
        // The header as sent, read before the body: reading it parses the header, and the parsed form adds a space after ';'.
        var answered = response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var values) ? values.ToString() : null;
        return new MnsAnswer(response.StatusCode, await response.Content.ReadAsStringAsync(ct), answered, response.Headers);
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5351:Do Not Use Broken Cryptographic Algorithms", Justification = "MNS's Content-MD5.")]
    private static byte[] MD5Hash(string text) => MD5.HashData(Encoding.UTF8.GetBytes(text));

    public static string Messages(string queue) => "/queues/" + queue + "/messages";

    public Task<MnsAnswer> BatchReceiveAsync(string queue, int count, int? wait = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Messages(queue) + "?numOfMessages=" + count + (wait is { } w ? "&waitseconds=" + w : string.Empty), ct: ct);

    public Task<MnsAnswer> ReceiveAsync(string queue, int? wait = null, CancellationToken ct = default) =>
        SendAsync(HttpMethod.Get, Messages(queue) + (wait is { } w ? "?waitseconds=" + w : string.Empty), ct: ct);

    /// <summary>The handle goes raw, as every SDK sends it (+ / = unescaped).</summary>
    public Task<MnsAnswer> DeleteAsync(string queue, string handle) =>
        SendAsync(HttpMethod.Delete, Messages(queue) + "?ReceiptHandle=" + handle);

    public Task<MnsAnswer> BatchDeleteAsync(string queue, IEnumerable<string> handles) =>
        SendAsync(HttpMethod.Delete, Messages(queue),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ReceiptHandles xmlns=\"http://mns.aliyuncs.com/doc/v1/\">" +
            string.Concat(handles.Select(h => "<ReceiptHandle>" + h + "</ReceiptHandle>")) + "</ReceiptHandles>");

    public Task<MnsAnswer> ChangeVisibilityAsync(string queue, string handle, int seconds) =>
        SendAsync(HttpMethod.Put, Messages(queue) + "?receiptHandle=" + handle + "&visibilityTimeout=" + seconds);

    /// <summary>POST /_emulator/queues/{name}: enqueue receipts; answers the control endpoint's JSON.</summary>
    public static async Task<JsonElement> EnqueueAsync(EmulatorTestHost host, string queue, string json)
    {
        using var response = await host.Http.PostAsync("/_emulator/queues/" + queue, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static async Task<JsonElement> QueueStateAsync(EmulatorTestHost host, string queue) =>
        JsonDocument.Parse(await host.Http.GetStringAsync("/_emulator/queues/" + queue)).RootElement.Clone();
}
