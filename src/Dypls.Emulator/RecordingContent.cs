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
