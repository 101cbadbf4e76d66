namespace Dypls.Emulator;

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

    /// <summary>
    /// Version of every generated recording: 0 gives the original bytes; any other value gives other bytes (so another
    /// ETag) and a Last-Modified that many seconds later. Files from <see cref="RecordingsDir"/> are not affected.
    /// </summary>
    public int RecordingVersion { get; set; }

    /// <summary>Per-CallId versions that override <see cref="RecordingVersion"/> (settings <c>recordingVersions</c>).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, int> RecordingVersions { get; } = new(StringComparer.Ordinal);

    /// <summary>The version that applies to one CallId.</summary>
    public int VersionOf(string callId) => RecordingVersions.TryGetValue(callId, out var v) ? v : RecordingVersion;
    public int TimestampWindowMinutes { get; set; } = EmulatorDefaults.TimestampWindowMinutes;
    public int RetentionDays { get; set; } = EmulatorDefaults.RetentionDays;

    /// <summary>Role name of the fake ECS metadata service; null leaves the service off.</summary>
    public string? EcsRole { get; set; }

    public int EcsCredentialLifetimeSeconds { get; set; } = EmulatorDefaults.EcsCredentialLifetimeSeconds;

    /// <summary>Lifetime of STS sessions (AssumeRole, AssumeRoleWithOIDC, credentials URI), capped by the DurationSeconds asked for.</summary>
    public int StsSessionSeconds { get; set; } = EmulatorDefaults.StsSessionSeconds;

    /// <summary>Roles any known key (and any valid OIDC token) may assume.</summary>
    public HashSet<string> StsRoles { get; } = new(StringComparer.Ordinal) { EmulatorDefaults.DemoRoleArn };

    /// <summary>Roles that exist but whose trust policy refuses everyone: AssumeRole answers 403 NoPermission.</summary>
    public HashSet<string> StsDeniedRoles { get; } = new(StringComparer.Ordinal) { EmulatorDefaults.DemoDeniedRoleArn };

    /// <summary>OIDC providers AssumeRoleWithOIDC knows.</summary>
    public HashSet<string> OidcProviders { get; } = new(StringComparer.Ordinal) { EmulatorDefaults.DemoOidcProviderArn };

    /// <summary>OIDC tokens AssumeRoleWithOIDC accepts (the content of an RRSA token file).</summary>
    public HashSet<string> OidcTokens { get; } = new(StringComparer.Ordinal) { EmulatorDefaults.DemoOidcToken };

    /// <summary>When set, every STS call answers 400 Throttling.User.</summary>
    public bool StsThrottle { get; set; }

    /// <summary>When set, the credentials URI answers HTTP 500.</summary>
    public bool CredentialsUriFail { get; set; }

    /// <summary>When set, the ECS metadata service never answers (until the client gives up): an unreachable service.</summary>
    public bool MetadataStall { get; set; }

    /// <summary>Also listen on HTTPS on this port (0 = any free port) with a self-signed certificate made at start; null = no HTTPS.</summary>
    public int? HttpsPort { get; set; }

    /// <summary>Where to write that certificate (PEM), e.g. for NODE_EXTRA_CA_CERTS; null writes it next to the temp folder.</summary>
    public string? HttpsCertificateFile { get; set; }

    /// <summary>When throttling, send x-acs-retry-after with this many milliseconds; null sends nothing.</summary>
    public int? RetryAfterMs { get; set; }

    /// <summary>Lifetime of the STS keys QueryTokenForMnsQueue hands out (ExpireTime = now + this).</summary>
    public int TokenLifetimeSeconds { get; set; } = EmulatorDefaults.TokenLifetimeSeconds;

    /// <summary>How long a received message stays invisible (every queue's VisibilityTimeout).</summary>
    public int VisibilityTimeoutSeconds { get; set; } = EmulatorDefaults.VisibilityTimeoutSeconds;

    /// <summary>How long a receive without waitseconds waits for a message (every queue's PollingWaitSeconds).</summary>
    public int PollingWaitSeconds { get; set; } = EmulatorDefaults.PollingWaitSeconds;

    /// <summary>Receipts the SecretRecording demo queue holds at start and after a reset (--receipts).</summary>
    public int Receipts { get; set; }

    public bool Verbose { get; set; }
    public EmulatorFaults Faults { get; } = new();
}
