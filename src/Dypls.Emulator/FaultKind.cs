namespace Dypls.Emulator;

/// <summary>The kinds of injected faults counted in <see cref="EmulatorStats"/> (rates and the expiry budget).</summary>
public enum FaultKind
{
    Api5xx,
    ApiThrottle,
    ApiSystemError,
    ApiReset,
    ApiStall,
    Download5xx,
    DownloadTruncate,
    DownloadStall,
    DownloadExpired,
    ApiEndlessError,
    DownloadEndless403,
    DownloadHeaderStall,
    DownloadCorrupt,
    Mns5xx,
    MnsReset,
    MnsSlow,
}
