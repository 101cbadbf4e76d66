namespace Dypls.Emulator;

/// <summary>
/// Faults to inject: switches, budgets ("the next N") and rates (probabilities 0..1) drawn from a seeded generator.
/// Tests flip them at runtime through <c>/_emulator/settings</c>.
/// </summary>
/// <remarks>
/// Determinism: there are three <see cref="Random"/> streams, for RPC requests, downloads and MNS requests, all seeded
/// from <see cref="Seed"/> (<c>new Random(int)</c> uses the same legacy algorithm on every .NET version) and drawn
/// behind a lock. Every RPC request draws exactly one number from the API stream when it arrives, and every
/// download request one from the download stream, whatever the rates are; the kinds of one stream are mutually
/// exclusive bands of that number, in the order of <see cref="ApiFault"/> / <see cref="DownloadFault"/> (when rates
/// add up to more than 1, the later kinds get what is left). Where the number falls inside a band also picks
/// 500 or 503 and the truncation point, so no second draw is needed. Hence a seed gives the same fault rates and,
/// for sequential requests, the same sequence of decisions; concurrent requests may take the numbers in another
/// order. Setting <see cref="Seed"/> (even to its current value) restarts both sequences.
/// </remarks>
public sealed class EmulatorFaults
{
    /// <summary>The seed used unless <c>--fault-seed</c> or the <c>faultSeed</c> setting says otherwise.</summary>
    public const int DefaultSeed = 1;

    /// <summary>A stalled answer is given up after this long at the latest (the connection is then dropped).</summary>
    public static readonly TimeSpan StallCap = TimeSpan.FromMinutes(5);

    private readonly object _gate = new();
    private int _seed;
    private Random _apiRandom = null!;
    private Random _downloadRandom = null!;
    private Random _mnsRandom = null!;

    public EmulatorFaults() => Seed = DefaultSeed;

    /// <summary>When set, every RPC call answers 503 ServiceUnavailable before any verification.</summary>
    public bool ServiceUnavailable { get; set; }

    private int _cutDownloads;

    /// <summary>The next N download responses stop after <see cref="CutDownloadsAtBytes"/> body bytes and drop the connection.</summary>
    public int CutDownloads { get => Volatile.Read(ref _cutDownloads); set => Volatile.Write(ref _cutDownloads, value); }

    public long CutDownloadsAtBytes { get; set; } = 16 * 1024;

    /// <summary>Takes one cut from the budget; true when this response must be cut.</summary>
    public bool TakeCut() => TakeOne(ref _cutDownloads);

    private int _expireNextDownloads;

    /// <summary>The next N downloads with a valid signature answer 403 AccessDenied "Request has expired." whatever Expires says.</summary>
    public int ExpireNextDownloads { get => Volatile.Read(ref _expireNextDownloads); set => Volatile.Write(ref _expireNextDownloads, value); }

    /// <summary>Takes one from the <see cref="ExpireNextDownloads"/> budget; true when this download must be refused as expired.</summary>
    public bool TakeExpiry() => TakeOne(ref _expireNextDownloads);

    private int _corruptNextDownloads;

    /// <summary>The next N downloads that would send a whole body send it with one byte changed (same length, wrong MD5).</summary>
    public int CorruptNextDownloads { get => Volatile.Read(ref _corruptNextDownloads); set => Volatile.Write(ref _corruptNextDownloads, value); }

    /// <summary>Takes one from the <see cref="CorruptNextDownloads"/> budget; true when this body must be corrupted.</summary>
    public bool TakeCorrupt() => TakeOne(ref _corruptNextDownloads);

    /// <summary>When set, every ECS metadata request's connection is dropped without an answer (still counted in metadataRequests).</summary>
    public bool MetadataUnreachable { get; set; }

    /// <summary>When set, every key's RAM policy denies the action: authenticated calls answer 403 Forbidden.RAM.</summary>
    public bool RamDenyAll { get; set; }

    /// <summary>Seed of the fault rolls; setting it restarts the sequences.</summary>
    public int Seed
    {
        get { lock (_gate) { return _seed; } }
        set
        {
            lock (_gate)
            {
                _seed = value;
                _apiRandom = new Random(value);
                // A different but fixed stream, so downloads do not shift the RPC sequence (and the other way round).
                _downloadRandom = new Random(unchecked(value ^ 0x5F3759DF));
                _mnsRandom = new Random(unchecked(value ^ 0x1B873593));
            }
        }
    }

    // Rates are doubles: reads and writes are atomic on 64-bit platforms, and each request reads them once.

    /// <summary>Share of RPC requests answered 500 InternalError or 503 ServiceUnavailable (half each).</summary>
    public double Api5xxRate { get; set; }

    /// <summary>Share of RPC requests answered 400 Throttling.User.</summary>
    public double ApiThrottleRate { get; set; }

    /// <summary>Share of RPC requests that, once authenticated, get the product answer isp.SYSTEM_ERROR.</summary>
    public double ApiSystemErrorRate { get; set; }

    /// <summary>Share of RPC requests whose connection is dropped without an answer.</summary>
    public double ApiResetRate { get; set; }

    /// <summary>Share of RPC requests never answered (until the client gives up or <see cref="StallCap"/>).</summary>
    public double ApiStallRate { get; set; }

    /// <summary>Share of RPC requests answered 400 whose gateway body starts and never ends.</summary>
    public double ApiEndlessErrorRate { get; set; }

    /// <summary>The emulator's clock for the Timestamp window (and its Date header on RPC answers) runs this many seconds off.</summary>
    public int ClockSkewSeconds { get; set; }

    /// <summary>Share of downloads answered 500 InternalError or 503 ServiceUnavailable (OSS XML).</summary>
    public double Download5xxRate { get; set; }

    /// <summary>Share of downloads that send part of the body, then drop the connection.</summary>
    public double DownloadTruncateRate { get; set; }

    /// <summary>Share of downloads that send headers and part of the body, then stop sending.</summary>
    public double DownloadStallRate { get; set; }

    /// <summary>Share of downloads answered 403 AccessDenied whose OSS XML body starts and never ends.</summary>
    public double DownloadEndless403Rate { get; set; }

    /// <summary>Share of downloads whose 200/206 headers come, then not one body byte.</summary>
    public double DownloadHeaderStallRate { get; set; }

    /// <summary>Share of downloads sent whole, at the right length, with one byte changed.</summary>
    public double DownloadCorruptRate { get; set; }

    /// <summary>When above 0, download bodies are written at about this many bytes per second.</summary>
    public long DownloadSlowBytesPerSecond { get; set; }

    /// <summary>All download bodies together are paced to about this many bytes/s (a thin shared link); 0 = no limit.</summary>
    public long DownloadTotalBytesPerSecond { get; set; }

    /// <summary>Share of MNS requests answered 500 InternalError (before the signature check).</summary>
    public double Mns5xxRate { get; set; }

    /// <summary>Share of MNS requests whose connection is dropped without an answer.</summary>
    public double MnsResetRate { get; set; }

    /// <summary>Share of MNS requests answered only after <see cref="MnsSlowMs"/>.</summary>
    public double MnsSlowRate { get; set; }

    /// <summary>How late a slow MNS answer comes, in milliseconds (also what <see cref="MnsSlowNext"/> uses).</summary>
    public int MnsSlowMs { get; set; } = 2000;

    private int _mns5xxNext, _mnsResetNext, _mnsSlowNext;

    /// <summary>Budget: the next N MNS requests answer 500 InternalError.</summary>
    public int Mns5xxNext { get => Volatile.Read(ref _mns5xxNext); set => Volatile.Write(ref _mns5xxNext, value); }

    /// <summary>Budget: the next N MNS requests have their connection dropped.</summary>
    public int MnsResetNext { get => Volatile.Read(ref _mnsResetNext); set => Volatile.Write(ref _mnsResetNext, value); }

    /// <summary>Budget: the next N MNS requests are answered after <see cref="MnsSlowMs"/>.</summary>
    public int MnsSlowNext { get => Volatile.Read(ref _mnsSlowNext); set => Volatile.Write(ref _mnsSlowNext, value); }

    private string? _mnsDeniedQueue;

    /// <summary>A queue whose every authenticated request answers 403 AccessDenied (as when the token's policy lost it); null for none.</summary>
    public string? MnsDeniedQueue { get => Volatile.Read(ref _mnsDeniedQueue); set => Volatile.Write(ref _mnsDeniedQueue, value); }

    /// <summary>
    /// One roll for one MNS request, from its own stream. The budgets go first (5xx, reset, slow); the number is drawn
    /// even when a budget decides, so that the decisions of the rates do not shift with the budgets.
    /// </summary>
    public MnsFault NextMnsFault()
    {
        double u;
        lock (_gate)
        {
            u = _mnsRandom.NextDouble();
        }
        if (TakeOne(ref _mns5xxNext)) return MnsFault.InternalError;
        if (TakeOne(ref _mnsResetNext)) return MnsFault.Reset;
        if (TakeOne(ref _mnsSlowNext)) return MnsFault.Slow;
        return Pick(u, out _, Mns5xxRate, MnsResetRate, MnsSlowRate) switch
        {
            0 => MnsFault.InternalError,
            1 => MnsFault.Reset,
            2 => MnsFault.Slow,
            _ => MnsFault.None,
        };
    }

    /// <summary>One roll for one RPC request.</summary>
    public ApiFault NextApiFault()
    {
        double u;
        lock (_gate)
        {
            u = _apiRandom.NextDouble();
        }
        return Pick(u, out var within,
                Api5xxRate, ApiThrottleRate, ApiSystemErrorRate, ApiResetRate, ApiStallRate, ApiEndlessErrorRate) switch
        {
            0 => within < 0.5 ? ApiFault.InternalError : ApiFault.ServiceUnavailable,
            1 => ApiFault.Throttle,
            2 => ApiFault.SystemError,
            3 => ApiFault.Reset,
            4 => ApiFault.Stall,
            5 => ApiFault.EndlessError,
            _ => ApiFault.None,
        };
    }

    /// <summary>
    /// One roll for one download request. <paramref name="fraction"/> (0..1) is where the roll fell inside the
    /// chosen band: the share of the body to send before a truncation or stall.
    /// </summary>
    public DownloadFault NextDownloadFault(out double fraction)
    {
        double u;
        lock (_gate)
        {
            u = _downloadRandom.NextDouble();
        }
        var kind = Pick(u, out fraction, Download5xxRate, DownloadTruncateRate, DownloadStallRate,
            DownloadEndless403Rate, DownloadHeaderStallRate, DownloadCorruptRate) switch
        {
            0 => fraction < 0.5 ? DownloadFault.InternalError : DownloadFault.ServiceUnavailable,
            1 => DownloadFault.Truncate,
            2 => DownloadFault.Stall,
            3 => DownloadFault.Endless403,
            4 => DownloadFault.HeaderStall,
            5 => DownloadFault.Corrupt,
            _ => DownloadFault.None,
        };
        if (kind is DownloadFault.InternalError or DownloadFault.ServiceUnavailable)
        {
            fraction = 0;
        }
        return kind;
    }

    /// <summary>The index of the band <paramref name="u"/> falls in (-1 for none), and its relative position there.</summary>
    private static int Pick(double u, out double within, params double[] rates)
    {
        var start = 0.0;
        for (var i = 0; i < rates.Length; i++)
        {
            var rate = Math.Clamp(rates[i], 0, 1);
            if (rate > 0 && u < start + rate)
            {
                within = Math.Clamp((u - start) / rate, 0, 1);
                return i;
            }
            start += rate;
        }
        within = 0;
        return -1;
    }

    private static bool TakeOne(ref int budget)
    {
        while (true)
        {
            var left = Volatile.Read(ref budget);
            if (left <= 0) return false;
            if (Interlocked.CompareExchange(ref budget, left - 1, left) == left) return true;
        }
    }
}
