using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>
/// STS 2015-04-01 on the same address as the RPC gateway (the path is "/" for both; the Action tells them apart):
/// AssumeRole (RPC V1 signature verified like the gateway, so chained STS keys work too) and AssumeRoleWithOIDC (the
/// OIDC token is the proof). Issues short-lived STS keys that the Dyplsapi endpoint accepts until they expire.
/// Also the credentials URI endpoint (GET /credentials-uri), which hands out the same kind of keys.
/// </summary>
internal sealed partial class StsEndpoint
{
    public const string AssumeRoleAction = "AssumeRole";
    public const string AssumeRoleWithOidcAction = "AssumeRoleWithOIDC";
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly CredentialStore _credentials;
    private readonly SignatureVerifier _verifier;

    public StsEndpoint(EmulatorOptions options, EmulatorStats stats, CredentialStore credentials, SignatureVerifier verifier)
    {
        _options = options;
        _stats = stats;
        _credentials = credentials;
        _verifier = verifier;
    }

    public static bool Handles(IReadOnlyDictionary<string, string> parameters) =>
        parameters.TryGetValue("Action", out var action) && (action == AssumeRoleAction || action == AssumeRoleWithOidcAction);

    [GeneratedRegex("^[A-Za-z0-9.@_-]{2,64}$")]
    private static partial Regex SessionNamePattern();

    [GeneratedRegex("^acs:ram::[0-9]+:role/[^/]+$")]
    private static partial Regex RoleArnPattern();

    public async Task HandleAsync(HttpContext context, IReadOnlyDictionary<string, string> p)
    {
        _stats.StsRequest();
        var requestId = RpcResponseWriter.NewRequestId();
        var action = p["Action"];
        var error = Check(context.Request.Method, p, action);
        if (error is not null)
        {
            _stats.StsFailure();
            if (error.Code.StartsWith("Throttling", StringComparison.Ordinal)) _stats.Throttle();
            await WriteAsync(context, error.StatusCode, new Dictionary<string, string>
            {
                ["RequestId"] = requestId,
                ["HostId"] = "sts.aliyuncs.com",
                ["Code"] = error.Code,
                ["Message"] = error.Message,
                ["Recommend"] = "https://api.aliyun.com/troubleshoot?q=" + Uri.EscapeDataString(error.Code) + "&product=Sts",
            });
            return;
        }

        var requested = int.Parse(p["DurationSeconds"], CultureInfo.InvariantCulture);
        var lifetime = Math.Max(1, Math.Min(requested, _options.StsSessionSeconds));
        var now = DateTimeOffset.UtcNow;
        var key = _credentials.MintSts(TimeSpan.FromSeconds(lifetime), now);
        _stats.SessionIssued(action == AssumeRoleWithOidcAction);
        var roleArn = p["RoleArn"];
        var session = p["RoleSessionName"];
        await WriteAsync(context, 200, new
        {
            RequestId = requestId,
            AssumedRoleUser = new { Arn = roleArn + "/" + session, AssumedRoleId = "300000000000000001:" + session },
            Credentials = new
            {
                SecurityToken = key.SecurityToken,
                AccessKeyId = key.AccessKeyId,
                AccessKeySecret = key.AccessKeySecret,
                Expiration = key.Expiration!.Value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture),
            },
        });
    }

    /// <summary>The documented STS errors, in the order STS reports them; null when the call may go through.</summary>
    private GatewayError? Check(string method, IReadOnlyDictionary<string, string> p, string action)
    {
        if (_options.StsThrottle)
            return new GatewayError(400, "Throttling.User", "Request was denied due to user flow control.");
        if (!p.TryGetValue("Version", out var version) || version != "2015-04-01")
            return new GatewayError(400, "InvalidVersion", "Specified parameter Version is not valid.");
        if (action == AssumeRoleAction)
        {
            var auth = _verifier.Verify(method, p, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(_options.TimestampWindowMinutes));
            if (auth is not null)
            {
                if (auth.IsAuthFailure) _stats.AuthFailure();
                else if (auth.Code == "SignatureDoesNotMatch") _stats.SignatureFailure();
                return auth;
            }
        }
        else
        {
            if (!p.TryGetValue("OIDCProviderArn", out var provider) || provider.Length == 0)
                return new GatewayError(400, "MissingOIDCProviderArn", "OIDCProviderArn is mandatory for this action.");
            if (!p.TryGetValue("OIDCToken", out var token) || token.Length == 0)
                return new GatewayError(400, "MissingOIDCToken", "OIDCToken is mandatory for this action.");
            if (!_options.OidcProviders.Contains(provider))
                return new GatewayError(404, "EntityNotExist.OIDCProvider", "The specified OIDC provider does not exist.");
            if (!_options.OidcTokens.Contains(token.Trim()))
                return new GatewayError(400, "AuthenticationFail.OIDCToken.Invalid", "The OIDC token is invalid.");
        }
        if (!p.TryGetValue("RoleArn", out var roleArn) || roleArn.Length == 0)
            return new GatewayError(400, "MissingRoleArn", "RoleArn is mandatory for this action.");
        if (!p.TryGetValue("RoleSessionName", out var session) || session.Length == 0)
            return new GatewayError(400, "MissingRoleSessionName", "RoleSessionName is mandatory for this action.");
        if (!SessionNamePattern().IsMatch(session))
            return new GatewayError(400, "InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly formed.");
        if (p.TryGetValue("DurationSeconds", out var durationText))
        {
            if (!int.TryParse(durationText, NumberStyles.None, CultureInfo.InvariantCulture, out var d) || d < 900 || d > 43200)
                return new GatewayError(400, "InvalidParameter.DurationSeconds", "The Min/Max value of DurationSeconds is 15min/1hr.");
        }
        if (!RoleArnPattern().IsMatch(roleArn))
            return new GatewayError(400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.");
        if (!_options.StsRoles.Contains(roleArn) && !_options.StsDeniedRoles.Contains(roleArn))
            return new GatewayError(404, "EntityNotExist.Role", "The specified Role not exists .");
        if (_options.StsDeniedRoles.Contains(roleArn))
            return new GatewayError(403, "NoPermission", "You are not authorized to do this action. You should be authorized by RAM.");
        return null;
    }

    /// <summary>GET /credentials-uri: the JSON a local credentials service answers (CredentialsURI mode).</summary>
    public async Task CredentialsUriAsync(HttpContext context)
    {
        _stats.CredentialsUriRequest();
        if (_options.CredentialsUriFail)
        {
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("credentials service failure", context.RequestAborted);
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var key = _credentials.MintSts(TimeSpan.FromSeconds(Math.Max(1, _options.StsSessionSeconds)), now);
        _stats.SessionIssued(oidc: false, uri: true);
        await WriteAsync(context, 200, new Dictionary<string, string>
        {
            ["Code"] = "Success",
            ["AccessKeyId"] = key.AccessKeyId,
            ["AccessKeySecret"] = key.AccessKeySecret,
            ["SecurityToken"] = key.SecurityToken!,
            ["Expiration"] = key.Expiration!.Value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture),
            ["LastUpdated"] = now.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture),
        });
    }

    private static async Task WriteAsync(HttpContext context, int status, object body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), Json);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json;charset=utf-8";
        context.Response.ContentLength = bytes.Length;
        await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
    }
}
