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
    private readonly int _chunk;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _sent;

    public ThrottledStream(Stream inner, long bytesPerSecond)
    {
        _inner = inner;
        _bytesPerSecond = Math.Max(1, bytesPerSecond);
        // About 20 chunks a second, at least 1 byte and at most 16 KiB each.
        _chunk = (int)Math.Clamp(_bytesPerSecond / 20, 1, 16 * 1024);
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
            await _inner.WriteAsync(buffer[..n], cancellationToken);
            await _inner.FlushAsync(cancellationToken);
            buffer = buffer[n..];
            _sent += n;
            var due = TimeSpan.FromSeconds((double)_sent / _bytesPerSecond) - _clock.Elapsed;
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
