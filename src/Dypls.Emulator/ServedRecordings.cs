using System.Collections.Concurrent;

namespace Dypls.Emulator;

/// <summary>
/// Which recordings the OSS endpoint has served completely, per CallId: the byte ranges sent whole and uncorrupted, merged,
/// so a download resumed with Range that reaches the end counts as served once every byte went out once.
/// </summary>
public sealed class ServedRecordings
{
    private readonly ConcurrentDictionary<string, Coverage> _byCallId = new(StringComparer.Ordinal);

    /// <summary>Records that [offset, offset+count) of a recording of <paramref name="length"/> bytes went out intact.</summary>
    public void Add(string callId, long offset, long count, long length) =>
        _byCallId.GetOrAdd(callId, _ => new Coverage()).Add(offset, count, length);

    /// <summary>Whether every byte of the CallId's recording has been served.</summary>
    public bool IsComplete(string callId) => _byCallId.TryGetValue(callId, out var coverage) && coverage.IsComplete;

    public void Clear() => _byCallId.Clear();

    private sealed class Coverage
    {
        private readonly object _gate = new();
        private readonly List<(long Start, long End)> _ranges = new();
        private long _length = -1;

        public bool IsComplete
        {
            get
            {
                lock (_gate)
                {
                    return _length >= 0 && (_length == 0 || (_ranges.Count == 1 && _ranges[0].Start == 0 && _ranges[0].End >= _length));
                }
            }
        }

        public void Add(long offset, long count, long length)
        {
            lock (_gate)
            {
                if (length != _length)
                {
                    // Another size is another object (recordingSize changed): what was served of the old one does not count.
                    _ranges.Clear();
                    _length = length;
                }
                _ranges.Add((offset, offset + count));
                _ranges.Sort();
                var merged = new List<(long Start, long End)>();
                foreach (var range in _ranges)
                {
                    if (merged.Count > 0 && range.Start <= merged[^1].End)
                    {
                        merged[^1] = (merged[^1].Start, Math.Max(merged[^1].End, range.End));
                    }
                    else
                    {
                        merged.Add(range);
                    }
                }
                _ranges.Clear();
                _ranges.AddRange(merged);
            }
        }
    }
}
