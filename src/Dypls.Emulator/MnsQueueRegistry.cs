using System.Collections.Concurrent;

namespace Dypls.Emulator;

/// <summary>The emulated queues by name: the demo receipt queues from the start, more created by the control endpoint.</summary>
internal sealed class MnsQueueRegistry
{
    private readonly ConcurrentDictionary<string, MnsQueue> _queues = new(StringComparer.Ordinal);
    private readonly object _resetGate = new();
    private readonly Action<MnsQueueRegistry>? _fill;

    /// <param name="fill">Puts the start-state messages in (the --receipts pre-fill); run at start and on every reset.</param>
    public MnsQueueRegistry(Action<MnsQueueRegistry>? fill = null)
    {
        _fill = fill;
    }

    public MnsQueue? Find(string name) => _queues.TryGetValue(name, out var queue) ? queue : null;

    /// <summary>The queue of that name, created (with this message type, or the one its name carries) if it is new.</summary>
    public MnsQueue GetOrCreate(string name, string? messageType = null) =>
        _queues.GetOrAdd(name, n => new MnsQueue(n, messageType ?? MnsQueue.MessageTypeOf(n)));

    public IReadOnlyList<string> Names => _queues.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();

    /// <summary>Back to the start state: only the demo queues, holding only the pre-filled receipts.</summary>
    public void Reset()
    {
        lock (_resetGate)
        {
            _queues.Clear();
            GetOrCreate(EmulatorDefaults.RecordingQueue);
            GetOrCreate(EmulatorDefaults.ReportQueue);
            _fill?.Invoke(this);
        }
    }
}
