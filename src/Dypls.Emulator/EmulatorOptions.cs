namespace Dypls.Emulator;

/// <summary>An AccessKey the emulator accepts. A SecurityToken makes it an STS key that must send it.</summary>
public sealed record EmulatorAccessKey(string AccessKeyId, string AccessKeySecret, string? SecurityToken = null, DateTimeOffset? Expiration = null)
{
    public bool IsSts => SecurityToken is not null;
}

/// <summary>
/// Faults to inject. Kept deliberately small for now; new switches go here so tests can flip them at runtime.
/// </summary>
public sealed class EmulatorFaults
{
    /// <summary>When set, every RPC call answers 503 ServiceUnavailable before any verification.</summary>
    public bool ServiceUnavailable { get; set; }

    private int _cutDownloads;

    /// <summary>The next N download responses stop after <see cref="CutDownloadsAtBytes"/> body bytes and drop the connection.</summary>
    public int CutDownloads { get => Volatile.Read(ref _cutDownloads); set => Volatile.Write(ref _cutDownloads, value); }

    public long CutDownloadsAtBytes { get; set; } = 16 * 1024;

    /// <summary>Takes one cut from the budget; true when this response must be cut.</summary>
    public bool TakeCut()
    {
        while (true)
        {
            var left = Volatile.Read(ref _cutDownloads);
            if (left <= 0) return false;
            if (Interlocked.CompareExchange(ref _cutDownloads, left - 1, left) == left) return true;
        }
    }
}

/// <summary>
/// Everything configurable. The scalar settings may be changed while the server runs (tests shorten the URL
/// lifetime, for instance); each request reads them once, and int/long writes are atomic, which is enough here.
/// </summary>
public sealed class EmulatorOptions
{
    public string Host { get; set; } = EmulatorDefaults.Host;

    /// <summary>0 picks any free port; read the real one from <see cref="EmulatorServer.BaseUri"/>.</summary>
    public int Port { get; set; } = EmulatorDefaults.Port;

    /// <summary>Extra keys (from --key / --sts). Read at start; add keys later with <see cref="EmulatorServer.AddAccessKey"/>.</summary>
    public List<EmulatorAccessKey> AccessKeys { get; } = new();

    public bool DemoKeys { get; set; } = true;
    public int UrlTtlSeconds { get; set; } = EmulatorDefaults.UrlTtlSeconds;

    /// <summary>Requests per second over all keys; 0 means unlimited.</summary>
    public int Qps { get; set; }

    public int ApiLatencyMs { get; set; }
    public int DownloadLatencyMs { get; set; }
    public long RecordingSize { get; set; } = EmulatorDefaults.RecordingSize;
    public string? RecordingsDir { get; set; }
    public int TimestampWindowMinutes { get; set; } = EmulatorDefaults.TimestampWindowMinutes;
    public int RetentionDays { get; set; } = EmulatorDefaults.RetentionDays;

    /// <summary>Role name of the fake ECS metadata service; null leaves the service off.</summary>
    public string? EcsRole { get; set; }

    public int EcsCredentialLifetimeSeconds { get; set; } = EmulatorDefaults.EcsCredentialLifetimeSeconds;

    /// <summary>When throttling, send x-acs-retry-after with this many milliseconds; null sends nothing.</summary>
    public int? RetryAfterMs { get; set; }

    public bool Verbose { get; set; }
    public EmulatorFaults Faults { get; } = new();
}
