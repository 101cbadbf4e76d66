namespace Dypls.Emulator;

/// <summary>Fixed one-second windows over all callers, like an account-level flow-control quota.</summary>
public sealed class QpsLimiter
{
    private readonly object _gate = new();
    private long _second;
    private int _count;

    /// <summary>True when the request fits in this second's quota; qps &lt;= 0 means unlimited.</summary>
    public bool TryAcquire(int qps, DateTimeOffset now)
    {
        if (qps <= 0)
        {
            return true;
        }
        var second = now.ToUnixTimeSeconds();
        lock (_gate)
        {
            if (second != _second)
            {
                _second = second;
                _count = 0;
            }
            if (_count >= qps)
            {
                return false;
            }
            _count++;
            return true;
        }
    }
}
