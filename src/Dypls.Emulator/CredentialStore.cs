using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Dypls.Emulator;

/// <summary>The AccessKeys the gateway knows: configured ones plus STS keys minted by the ECS metadata service.</summary>
public sealed class CredentialStore
{
    private readonly ConcurrentDictionary<string, EmulatorAccessKey> _keys = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<EmulatorAccessKey> _minted = new();

    /// <summary>The last STS keys minted (at most 1,000), so tests can search their output for them.</summary>
    public IReadOnlyList<EmulatorAccessKey> Minted => _minted.ToArray();

    public void Add(EmulatorAccessKey key) => _keys[key.AccessKeyId] = key;

    public EmulatorAccessKey? Find(string accessKeyId) => _keys.TryGetValue(accessKeyId, out var key) ? key : null;

    /// <summary>A fresh STS key as an ECS instance role would receive it.</summary>
    public EmulatorAccessKey MintSts(TimeSpan lifetime, DateTimeOffset now)
    {
        PurgeExpired(now);
        var key = new EmulatorAccessKey(
            "STS." + RandomToken(24),
            RandomToken(30),
            RandomToken(64),
            // Whole seconds: the metadata JSON carries seconds, so the gateway must agree with it.
            DateTimeOffset.FromUnixTimeSeconds((now + lifetime).ToUnixTimeSeconds()));
        Add(key);
        _minted.Enqueue(key);
        while (_minted.Count > 1000 && _minted.TryDequeue(out _))
        {
        }
        return key;
    }

    /// <summary>Keeps memory bounded when a test mints keys in a loop; a day of grace still reports "expired".</summary>
    private void PurgeExpired(DateTimeOffset now)
    {
        foreach (var pair in _keys)
        {
            if (pair.Value.Expiration is { } exp && exp < now - TimeSpan.FromDays(1))
            {
                _keys.TryRemove(pair.Key, out _);
            }
        }
    }

    internal static string RandomToken(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        return RandomNumberGenerator.GetString(alphabet, length);
    }
}
