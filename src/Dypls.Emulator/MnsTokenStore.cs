using System.Collections.Concurrent;

namespace Dypls.Emulator;

/// <summary>The queue tokens minted so far, by AccessKeyId; the MNS endpoint looks the signer up here.</summary>
public sealed class MnsTokenStore
{
    private const int Capacity = 100_000;
    private readonly ConcurrentDictionary<string, MnsToken> _tokens = new(StringComparer.Ordinal);

    /// <summary>Every token kept, secrets included (for tests that search their logs for them).</summary>
    public IReadOnlyList<MnsToken> All => _tokens.Values.ToList();

    public MnsToken? Find(string accessKeyId) => _tokens.TryGetValue(accessKeyId, out var token) ? token : null;

    /// <summary>A fresh key, secret and token; times in whole seconds, since ExpireTime is written to the second.</summary>
    public MnsToken Mint(string messageType, string? queueName, TimeSpan lifetime, DateTimeOffset now)
    {
        Purge(now);
        var created = DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds());
        var token = new MnsToken("STS." + CredentialStore.RandomToken(24), CredentialStore.RandomToken(30), CredentialStore.RandomToken(64),
            messageType, queueName, created, created + lifetime);
        _tokens[token.AccessKeyId] = token;
        return token;
    }

    /// <summary>
    /// Keeps memory bounded when a client mints tokens in a loop. Expired tokens are kept a day, so that they are still
    /// answered "expired" rather than "unknown key".
    /// </summary>
    private void Purge(DateTimeOffset now)
    {
        if (_tokens.Count < Capacity)
        {
            return;
        }
        foreach (var pair in _tokens)
        {
            if (pair.Value.Expiration < now - TimeSpan.FromDays(1) || _tokens.Count >= Capacity)
            {
                _tokens.TryRemove(pair.Key, out _);
            }
        }
    }
}
