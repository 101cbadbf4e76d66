using System.Diagnostics;

namespace Dypls.Emulator;

/// <summary>
/// One link shared by every download (--download-total-bytes-per-second): each chunk books its share of the link's
/// time, in order, so N transfers at once get about 1/N of the rate each, as on a thin line.
/// </summary>
internal sealed class BandwidthBudget
{
    private readonly object _lock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _nextFree;

    /// <summary>Waits until <paramref name="bytes"/> may go out at <paramref name="bytesPerSecond"/> in total.</summary>
    public Task TakeAsync(int bytes, long bytesPerSecond, CancellationToken cancellationToken)
    {
        TimeSpan due;
        lock (_lock)
        {
            var now = _clock.Elapsed;
            var start = _nextFree > now ? _nextFree : now;
            _nextFree = start + TimeSpan.FromSeconds((double)bytes / Math.Max(1, bytesPerSecond));
            due = _nextFree - now;
        }
        return due > TimeSpan.Zero ? Task.Delay(due, cancellationToken) : Task.CompletedTask;
    }
}
