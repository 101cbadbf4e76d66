using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Dypls.Emulator;

/// <summary>
/// A fake ECS instance metadata service (security-hardened mode) for one RAM role: session token first, then
/// role credentials that the RPC endpoint accepts as an STS key until they expire.
/// </summary>
internal sealed class EcsMetadataEndpoint
{
    public const string TokenTtlHeader = "X-aliyun-ecs-metadata-token-ttl-seconds";
    public const string TokenHeader = "X-aliyun-ecs-metadata-token";
    private const string DateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    private readonly EmulatorOptions _options;
    private readonly EmulatorStats _stats;
    private readonly CredentialStore _credentials;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private readonly CancellationToken _stopping;

    public EcsMetadataEndpoint(EmulatorOptions options, EmulatorStats stats, CredentialStore credentials, CancellationToken stopping = default)
    {
        _options = options;
        _stats = stats;
        _credentials = credentials;
        _stopping = stopping;
    }

    /// <summary>With the metadataStall setting, the request gets no answer until the client gives up: an unreachable service.</summary>
    private async Task<bool> StalledAsync(HttpContext context)
    {
        if (!_options.MetadataStall)
        {
            return false;
        }
        await FaultHelpers.StallAsync(context, _stopping);
        return true;
    }

    /// <summary>PUT /latest/api/token</summary>
    public async Task IssueTokenAsync(HttpContext context)
    {
        _stats.MetadataRequest();
        if (await StalledAsync(context))
        {
            return;
        }
        if (!IsEnabled(context))
        {
            return;
        }
        var ttlText = context.Request.Headers[TokenTtlHeader].ToString();
        if (!int.TryParse(ttlText, NumberStyles.None, CultureInfo.InvariantCulture, out var ttl) ||
            ttl < 1 || ttl > EmulatorDefaults.MaxMetadataTokenTtlSeconds)
        {
            await WriteTextAsync(context, 400, "Bad Request: " + TokenTtlHeader + " must be 1.." + EmulatorDefaults.MaxMetadataTokenTtlSeconds);
            return;
        }
        var now = DateTimeOffset.UtcNow;
        foreach (var pair in _tokens)
        {
            if (pair.Value <= now)
            {
                _tokens.TryRemove(pair.Key, out _);
            }
        }
        var token = CredentialStore.RandomToken(48);
        _tokens[token] = now.AddSeconds(ttl);
        await WriteTextAsync(context, 200, token);
    }

    /// <summary>GET /latest/meta-data/ram/security-credentials/ → the role name. A token is optional here, but must be valid if sent.</summary>
    public async Task ListRolesAsync(HttpContext context)
    {
        _stats.MetadataRequest();
        if (await StalledAsync(context))
        {
            return;
        }
        if (!IsEnabled(context))
        {
            return;
        }
        var token = context.Request.Headers[TokenHeader].ToString();
        if (token.Length > 0 && !IsValidToken(token))
        {
            await WriteTextAsync(context, 401, "Unauthorized");
            return;
        }
        await WriteTextAsync(context, 200, _options.EcsRole!);
    }

    /// <summary>GET /latest/meta-data/ram/security-credentials/{role}: requires a session token.</summary>
    public async Task GetCredentialsAsync(HttpContext context, string role)
    {
        _stats.MetadataRequest();
        if (await StalledAsync(context))
        {
            return;
        }
        if (!IsEnabled(context))
        {
            return;
        }
        if (!IsValidToken(context.Request.Headers[TokenHeader].ToString()))
        {
            await WriteTextAsync(context, 401, "Unauthorized");
            return;
        }
        if (!string.Equals(role, _options.EcsRole, StringComparison.Ordinal))
        {
            await WriteTextAsync(context, 404, "Not Found");
            return;
        }
        var now = DateTimeOffset.UtcNow;
        var key = _credentials.MintSts(TimeSpan.FromSeconds(Math.Max(1, _options.EcsCredentialLifetimeSeconds)), now);
        var body = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["AccessKeyId"] = key.AccessKeyId,
            ["AccessKeySecret"] = key.AccessKeySecret,
            ["Expiration"] = key.Expiration!.Value.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture),
            ["SecurityToken"] = key.SecurityToken!,
            ["LastUpdated"] = now.UtcDateTime.ToString(DateFormat, CultureInfo.InvariantCulture),
            ["Code"] = "Success",
        });
        context.Response.StatusCode = 200;
        context.Response.ContentType = "text/plain";
        await context.Response.WriteAsync(body, context.RequestAborted);
    }

    private bool IsEnabled(HttpContext context)
    {
        if (_options.Faults.MetadataUnreachable)
        {
            // As unreachable as a served request can be: the connection drops without an answer.
            context.Abort();
            return false;
        }
        if (_options.EcsRole is { Length: > 0 })
        {
            return true;
        }
        context.Response.StatusCode = 404;
        return false;
    }

    private bool IsValidToken(string token) =>
        token.Length > 0 && _tokens.TryGetValue(token, out var expires) && expires > DateTimeOffset.UtcNow;

    private static Task WriteTextAsync(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }
}
