namespace Dypls.Emulator;

/// <summary>What the fault roll decided for one download request.</summary>
public enum DownloadFault
{
    None,
    InternalError,
    ServiceUnavailable,
    Truncate,
    Stall,

    /// <summary>403 AccessDenied with headers and the start of an OSS XML body, then nothing.</summary>
    Endless403,

    /// <summary>200/206 headers, then not one body byte.</summary>
    HeaderStall,

    /// <summary>The whole body at the right length, with one byte changed (the ETag's MD5 no longer matches).</summary>
    Corrupt,
}
