using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>
/// Dybaseapi QueryTokenForMnsQueue (Version 2017-05-25) on "/" like the gateway: the RPC V1 signature is checked
/// exactly as for Dyplsapi, then a fresh STS key scoped to (MessageType, QueueName) is minted for the MNS endpoint.
/// </summary>
internal sealed class MnsTokenEndpoint
{
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly SignatureVerifier _verifier;
    private readonly MnsTokenStore _tokens;

    public MnsTokenEndpoint(EmulatorOptions options, EmulatorStats stats, SignatureVerifier verifier, MnsTokenStore tokens)
    {
        _options = options;
        _stats = stats;
        _verifier = verifier;
        _tokens = tokens;
    }

    public static bool Handles(IReadOnlyDictionary<string, string> parameters) =>
        parameters.TryGetValue("Action", out var action) && action == EmulatorDefaults.MnsTokenAction;

    public async Task HandleAsync(HttpContext context, IReadOnlyDictionary<string, string> p)
    {
        var requestId = RpcResponseWriter.NewRequestId();
        context.Response.Headers["x-acs-request-id"] = requestId;
        var xml = RpcResponseWriter.WantsXml(p);
        var now = DateTimeOffset.UtcNow;
        var error = Check(context.Request.Method, p, now);
        if (error is not null)
        {
            await RpcResponseWriter.WriteGatewayErrorAsync(context, error, requestId, xml, "Dybaseapi", EmulatorDefaults.DybaseapiHostId);
            return;
        }

        var queueName = p.TryGetValue("QueueName", out var q) && q.Length > 0 ? q : null;
        var token = _tokens.Mint(p["MessageType"], queueName, TimeSpan.FromSeconds(Math.Max(1, _options.TokenLifetimeSeconds)), now);
        _stats.MnsTokenIssued();
        var body = JsonSerializer.SerializeToUtf8Bytes(new
        {
            RequestId = requestId,
            Code = "OK",
            Message = "OK",
            MessageTokenDTO = new
            {
                token.AccessKeyId,
                token.AccessKeySecret,
                token.SecurityToken,
                CreateTime = BeijingTime(token.Created),
                ExpireTime = BeijingTime(token.Expiration),
            },
        }, Json);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json;charset=utf-8";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Dybaseapi writes its times as Beijing wall-clock time (UTC+8) without a zone.</summary>
    internal static string BeijingTime(DateTimeOffset instant) =>
        instant.ToOffset(EmulatorDefaults.CallTimeOffset).ToString(TimeFormat, CultureInfo.InvariantCulture);

    /// <summary>The gateway's checks in the gateway's order, then the action's own; null when a token may be minted.</summary>
    private GatewayError? Check(string method, IReadOnlyDictionary<string, string> p, DateTimeOffset now)
    {
        var error = _verifier.Verify(method, p, now, TimeSpan.FromMinutes(_options.TimestampWindowMinutes));
        if (error is not null)
        {
            if (error.Code == "SignatureDoesNotMatch")
            {
                _stats.SignatureFailure();
            }
            else if (error.IsAuthFailure)
            {
                _stats.AuthFailure();
            }
            return error;
        }
        if (!p.TryGetValue("Version", out var version) || version.Length == 0)
        {
            return GatewayError.Missing("Version");
        }
        if (!string.Equals(version, EmulatorDefaults.ApiVersion, StringComparison.Ordinal))
        {
            return GatewayError.InvalidVersion();
        }
        var key = _verifier.Find(p["AccessKeyId"]);
        if (key is { Denied: true } || _options.Faults.RamDenyAll)
        {
            _stats.RamDeny();
            return GatewayError.ForbiddenRam();
        }
        if (!p.TryGetValue("MessageType", out var messageType) || messageType.Length == 0)
        {
            // The exact code is not published; the gateway's pattern for a missing parameter is Missing<Name>.
            return GatewayError.Missing("MessageType");
        }
        return null;
    }
}
