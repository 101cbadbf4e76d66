namespace Dypls.Emulator;

/// <summary>
/// SignatureNonces seen per AccessKeyId. A nonce only needs remembering while its request's Timestamp could
/// still pass the window check, so entries expire; a hard cap keeps memory flat under load tests.
/// </summary>
public sealed class NonceCache
{
    private const int Capacity = 200_000;
    private readonly object _gate = new();
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Key, DateTimeOffset Expires)> _order = new();

    /// <summary>Records the nonce; false when it was already used by this AccessKeyId.</summary>
    public bool TryUse(string accessKeyId, string nonce, DateTimeOffset now, TimeSpan window)
    {
        var key = accessKeyId + "\n" + nonce;
        lock (_gate)
        {
            while (_order.Count > 0 && (_order.Peek().Expires <= now || _order.Count >= Capacity))
            {
                _seen.Remove(_order.Dequeue().Key);
            }
            if (!_seen.Add(key))
            {
                return false;
            }
            // A timestamp may be up to one window in the future, so remember for two windows.
            _order.Enqueue((key, now + window + window));
            return true;
        }
    }
}
