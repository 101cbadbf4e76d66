using System.Collections.Concurrent;

namespace Dypls.Emulator;

/// <summary>
/// The call_time of every receipt the emulator enqueued, by CallId, so the gateway can check that a client turned it
/// into QueryRecordFileDownloadUrl's CallTime correctly (Beijing wall-clock time of the epoch milliseconds).
/// </summary>
public sealed class ReceiptCallTimes
{
    private readonly ConcurrentDictionary<string, long> _byCallId = new(StringComparer.Ordinal);

    public void Remember(string callId, long callTimeMs) => _byCallId[callId] = callTimeMs;

    public bool TryGet(string callId, out long callTimeMs) => _byCallId.TryGetValue(callId, out callTimeMs);

    public void Clear() => _byCallId.Clear();
}
