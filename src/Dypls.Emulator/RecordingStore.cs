using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Dypls.Emulator;

/// <summary>One recording's bytes, readable at any offset so ranges and huge sizes stream with flat memory.</summary>
public abstract class RecordingContent
{
    public abstract long Length { get; }
    public abstract DateTimeOffset LastModified { get; }

    /// <summary>Identifies these exact bytes for the MD5 cache.</summary>
    internal abstract string CacheKey { get; }

    /// <summary>Copies [offset, offset+count) to the destination in chunks, reporting each chunk written.</summary>
    public abstract Task CopyToAsync(Stream destination, long offset, long count, Action<long>? written, CancellationToken ct);
}

/// <summary>
/// Where recordings come from: a file named after the CallId in --recordings-dir, else deterministic bytes
/// generated from the CallId (an empty ID3v2 tag, then a counter-based pseudo-random stream).
/// </summary>
public sealed class RecordingStore
{
    private const int ChunkSize = 64 * 1024;
    private const int MaxCachedEtags = 4096;
    private readonly ConcurrentDictionary<string, Lazy<string>> _etags = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _generatedLastModified;

    public RecordingStore(DateTimeOffset startedAt)
    {
        // HTTP dates carry whole seconds; truncate so Last-Modified round-trips.
        _generatedLastModified = DateTimeOffset.FromUnixTimeSeconds(startedAt.ToUnixTimeSeconds());
    }

    public RecordingContent Get(string callId, string? recordingsDir, long generatedSize)
    {
        var file = FindFile(callId, recordingsDir);
        return file is not null
            ? new FileRecording(file)
            : new GeneratedRecording(callId, Math.Max(0, generatedSize), _generatedLastModified);
    }

    /// <summary>The quoted uppercase-hex MD5 that OSS sends as ETag; computed once per content.</summary>
    public string ETagOf(RecordingContent content)
    {
        if (_etags.Count > MaxCachedEtags)
        {
            _etags.Clear();
        }
        var lazy = _etags.GetOrAdd(content.CacheKey, _ => new Lazy<string>(() => ComputeEtag(content)));
        return lazy.Value;
    }

    private static string ComputeEtag(RecordingContent content)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sink = new HashingStream(md5);
        content.CopyToAsync(sink, 0, content.Length, null, CancellationToken.None).GetAwaiter().GetResult();
        return "\"" + Convert.ToHexString(md5.GetHashAndReset()) + "\"";
    }

    private static string? FindFile(string callId, string? dir)
    {
        // Names are compared, never combined into paths, so a CallId like "../x" cannot escape the folder.
        if (string.IsNullOrEmpty(dir) || !Directory.Exists(dir) || callId.IndexOfAny(new[] { '/', '\\', '\0' }) >= 0)
        {
            return null;
        }
        var mp3 = Path.Combine(dir, callId + ".mp3");
        if (callId is not ("." or "..") && File.Exists(mp3))
        {
            return mp3;
        }
        return Directory.EnumerateFiles(dir)
            .Where(f => string.Equals(Path.GetFileNameWithoutExtension(f), callId, StringComparison.Ordinal))
            .OrderBy(f => f, StringComparer.Ordinal)
            .FirstOrDefault();
    }

    private sealed class FileRecording : RecordingContent
    {
        private readonly FileInfo _file;

        public FileRecording(string path)
        {
            _file = new FileInfo(path);
        }

        public override long Length => _file.Length;
        public override DateTimeOffset LastModified => DateTimeOffset.FromUnixTimeSeconds(new DateTimeOffset(_file.LastWriteTimeUtc).ToUnixTimeSeconds());
        internal override string CacheKey => "file\n" + _file.FullName + "\n" + _file.Length + "\n" + _file.LastWriteTimeUtc.Ticks;

        public override async Task CopyToAsync(Stream destination, long offset, long count, Action<long>? written, CancellationToken ct)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                await using var stream = new FileStream(_file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, useAsync: true);
                stream.Position = offset;
                while (count > 0)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)), ct);
                    if (n == 0)
                    {
                        break;
                    }
                    await destination.WriteAsync(buffer.AsMemory(0, n), ct);
                    written?.Invoke(n);
                    count -= n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private sealed class GeneratedRecording : RecordingContent
    {
        // An empty ID3v2.4 tag, so tools that sniff the bytes see an MP3-ish file.
        private static readonly byte[] Header = { (byte)'I', (byte)'D', (byte)'3', 4, 0, 0, 0, 0, 0, 0 };
        private readonly string _callId;
        private readonly long _length;
        private readonly ulong _seed;

        public GeneratedRecording(string callId, long length, DateTimeOffset lastModified)
        {
            _callId = callId;
            _length = length;
            LastModified = lastModified;
            _seed = BinaryPrimitives.ReadUInt64LittleEndian(SHA256.HashData(Encoding.UTF8.GetBytes(callId)));
        }

        public override long Length => _length;
        public override DateTimeOffset LastModified { get; }
        internal override string CacheKey => "gen\n" + _length + "\n" + _callId;

        public override async Task CopyToAsync(Stream destination, long offset, long count, Action<long>? written, CancellationToken ct)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                while (count > 0)
                {
                    var n = (int)Math.Min(ChunkSize, count);
                    Fill(offset, buffer.AsSpan(0, n));
                    await destination.WriteAsync(buffer.AsMemory(0, n), ct);
                    written?.Invoke(n);
                    offset += n;
                    count -= n;
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        /// <summary>Byte p (past the header) is byte p%8 of word p/8; word k = SplitMix64(seed + k): random access.</summary>
        private void Fill(long offset, Span<byte> dest)
        {
            var i = 0;
            while (i < dest.Length)
            {
                var p = offset + i;
                if (p < Header.Length)
                {
                    dest[i++] = Header[p];
                    continue;
                }
                var q = p - Header.Length;
                var word = Word((ulong)(q >> 3));
                for (var j = (int)(q & 7); j < 8 && i < dest.Length; j++)
                {
                    dest[i++] = (byte)(word >> (8 * j));
                }
            }
        }

        private ulong Word(ulong k)
        {
            var z = _seed + (k + 1) * 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>A write-only stream feeding a hash, so the MD5 is computed without holding the bytes.</summary>
    private sealed class HashingStream : Stream
    {
        private readonly IncrementalHash _hash;

        public HashingStream(IncrementalHash hash)
        {
            _hash = hash;
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => _hash.AppendData(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _hash.AppendData(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
