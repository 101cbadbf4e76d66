using System.Diagnostics;

namespace Dypls.Emulator;

/// <summary>
/// A write-only wrapper that paces writes to about <c>bytesPerSecond</c>: small chunks, each flushed, with
/// Task.Delay until the schedule (bytes so far / rate) catches up with the clock.
/// </summary>
internal sealed class ThrottledStream : Stream
{
    private readonly Stream _inner;
    private readonly long _bytesPerSecond;
    private readonly BandwidthBudget? _shared;
    private readonly long _sharedBytesPerSecond;
    private readonly int _chunk;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _sent;

    /// <param name="bytesPerSecond">This transfer's own limit; 0 for none.</param>
    /// <param name="shared">A link all transfers share, with its total rate; null for none.</param>
    public ThrottledStream(Stream inner, long bytesPerSecond, BandwidthBudget? shared = null, long sharedBytesPerSecond = 0)
    {
        _inner = inner;
        _bytesPerSecond = bytesPerSecond > 0 ? bytesPerSecond : long.MaxValue;
        _shared = sharedBytesPerSecond > 0 ? shared : null;
        _sharedBytesPerSecond = sharedBytesPerSecond;
        // About 20 chunks a second, at least 1 byte and at most 16 KiB each.
        var pace = Math.Min(_bytesPerSecond, _shared != null ? sharedBytesPerSecond : long.MaxValue);
        _chunk = (int)Math.Clamp(pace / 20, 1, 16 * 1024);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var n = Math.Min(_chunk, buffer.Length);
            if (_shared != null) await _shared.TakeAsync(n, _sharedBytesPerSecond, cancellationToken);
            await _inner.WriteAsync(buffer[..n], cancellationToken);
            await _inner.FlushAsync(cancellationToken);
            buffer = buffer[n..];
            _sent += n;
            var due = _bytesPerSecond == long.MaxValue ? TimeSpan.Zero : TimeSpan.FromSeconds((double)_sent / _bytesPerSecond) - _clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => _inner.FlushAsync(cancellationToken);
    public override void Flush() => _inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
