using System.Globalization;

namespace Dypls.Emulator;

/// <summary>Turns the command line into <see cref="EmulatorOptions"/>. Accepts "--name value" and "--name=value".</summary>
public static class CommandLine
{
    public const string Help = """
        Dypls.Emulator - a local Dyplsapi (Phone Number Privacy) endpoint for QueryRecordFileDownloadUrl.
        Verifies RPC V1 signatures like Alibaba's gateway and serves expiring OSS-style recording URLs.

        Usage: dypls-emulator [options]          (the .NET tool)
               dotnet Dypls.Emulator.dll [options]

          --port N                     TCP port; 0 = any free port (default 0). The first stdout line
                                       is always "Listening on <base URL>".
          --host ADDRESS               IP address to bind, 'localhost' or '*' (default 127.0.0.1).
          --key ID:SECRET              Accept this AccessKey (repeatable).
          --sts ID:SECRET:TOKEN        Accept this STS key; requests must send the SecurityToken (repeatable).
          --denied-key ID:SECRET       Accept this AccessKey's signature, but deny the action by RAM policy:
                                       403 Forbidden.RAM (repeatable).
          --no-demo-keys               Do not accept the built-in demo keys.
          --url-ttl SECONDS            Lifetime of download URLs (default 7200).
          --qps N                      Requests per second before Throttling.User; 0 = unlimited (default 0).
          --retry-after-ms N           With throttling, send header x-acs-retry-after: N (default: not sent).
          --api-latency-ms N           Delay every API answer by N ms (default 0).
          --download-latency-ms N      Delay the first byte of every download by N ms (default 0).
          --recording-size BYTES       Size of generated recordings (default 65536).
          --recordings-dir PATH        Serve <PATH>/<CallId>.mp3 (or any <CallId>.* file) when present.
          --recording-version N        Version of generated recordings: another N, other bytes and ETag (default 0).
          --timestamp-window-minutes N Accepted clock skew of Timestamp (default 15).
          --retention-days N           CallTimes older than this have no recording (default 30).
          --ecs-role NAME              Serve a fake ECS metadata service handing out STS keys for role NAME.

        STS (AssumeRole, AssumeRoleWithOIDC on "/") and the credentials URI (GET /credentials-uri):
          --sts-role ARN               A role any known key or valid OIDC token may assume (repeatable; the demo
                                       role acs:ram::1234567890123456:role/dypls-reader always exists).
          --sts-denied-role ARN        A role that exists but refuses everyone: 403 NoPermission (repeatable; the
                                       demo acs:ram::1234567890123456:role/dypls-denied always exists).
          --oidc-provider ARN          An OIDC provider AssumeRoleWithOIDC knows (repeatable; demo
                                       acs:ram::1234567890123456:oidc-provider/dypls-demo).
          --oidc-token TOKEN           An OIDC token it accepts (repeatable; demo DyplsDemoOidcToken0001).
          --sts-session-seconds N      Lifetime of issued sessions, capped by DurationSeconds (default 3600).
          --https-port N               Also listen on HTTPS (0 = any free port) with a self-signed certificate made
                                       at start; the second stdout line is "HTTPS on <base URL> (certificate <file>)".
          --https-cert-file PATH       Write that certificate (PEM) here, e.g. for NODE_EXTRA_CA_CERTS.

        Receipt queues (Dybaseapi QueryTokenForMnsQueue on "/", MNS 2015-06-06 on /queues/...):
          --token-lifetime SECONDS     Lifetime of the queue tokens QueryTokenForMnsQueue hands out (default 600).
          --visibility-timeout SECONDS Every queue's VisibilityTimeout: a received message comes back after it (default 30).
          --polling-wait SECONDS       Every queue's PollingWaitSeconds, for receives without waitseconds (0-30, default 0).
          --receipts N                 Pre-fill Alicom-Queue-1234567890-SecretRecording with N receipts (default 0);
                                       the queue Alicom-Queue-1234567890-SecretReport also exists.
          --fault-mns-5xx R            Share of MNS requests answered 500 InternalError.
          --fault-mns-reset R          Share of MNS requests whose connection is dropped without an answer.
          --fault-mns-slow R           Share of MNS requests answered late (--fault-mns-slow-ms, default 2000).
          --fault-mns-slow-ms N        How late a slow MNS answer comes, in ms.
          --fault-mns-denied-queue NAME
                                       Every request on this queue answers 403 AccessDenied.

        Fault injection (rates are probabilities from 0 to 1; see README "Fault injection"):
          --fault-seed N               Seed of the fault rolls; the same seed repeats the same sequence for
                                       sequential requests (default 1).
          --fault-api-5xx R            Share of API calls answered 500 InternalError / 503 ServiceUnavailable.
          --fault-api-throttle R       Share of API calls answered 400 Throttling.User (honours --retry-after-ms).
          --fault-api-system-error R   Share of authenticated API calls answered 200 with Code isp.SYSTEM_ERROR.
          --fault-api-reset R          Share of API calls whose connection is dropped without an answer.
          --fault-api-stall R          Share of API calls never answered (until the client gives up; cap 5 min).
          --fault-api-endless-error R  Share of API calls answered 400 whose body starts and never ends.
          --fault-ram-deny-all         Every key's RAM policy denies the action: 403 Forbidden.RAM.
          --fault-metadata-unreachable Drop every ECS metadata connection without an answer.
          --fault-clock-skew-seconds N Run the Timestamp-window clock (and the Date header) N seconds off;
                                       may be negative (default 0).
          --fault-download-5xx R       Share of downloads answered 500 InternalError / 503 ServiceUnavailable.
          --fault-download-truncate R  Share of downloads that send part of the body, then drop the connection.
          --fault-download-stall R     Share of downloads that send part of the body, then stop sending.
          --fault-download-endless-403 R
                                       Share of downloads answered 403 AccessDenied whose body never ends.
          --fault-download-header-stall R
                                       Share of downloads that send 200/206 headers, then not one body byte.
          --fault-download-corrupt R   Share of downloads sent whole with one wrong byte (MD5 mismatch).
          --fault-corrupt-next-downloads N
                                       The next N whole bodies get one wrong byte (default 0).
          --fault-download-bytes-per-second N
                                       Throttle download bodies to about N bytes/s; 0 = full speed (default 0).
          --download-total-bytes-per-second N
                                       All download bodies together share about N bytes/s, as on a thin link (default 0).
          --fault-expire-next-downloads N
                                       The next N downloads answer 403 "Request has expired." (default 0).
          --verbose                    Log ASP.NET requests to the console.
          --help                       Show this text.

        Demo keys (unless --no-demo-keys): AccessKey LTAI5tDyplsDemoKey0001, STS key STS.DyplsDemoKey0001 and
        LTAI5tDyplsDeniedKey01, which RAM denies (403 Forbidden.RAM); their secrets are in EmulatorDefaults.cs. CallIds starting with "norecord" and PoolKey NOPOOL give
        product errors. Test hooks: GET /_emulator/stats, POST /_emulator/reset,
        GET /_emulator/recording?CallId=..., GET|POST /_emulator/settings,
        GET|HEAD /_emulator/object/<any name>?CallId=...&contentType=...,
        GET|POST /_emulator/queues/<name> (receipt queues; see README "Receipt queues").
        """;

    /// <summary>Parsed options, or null with a message when the command line is wrong or asks for help.</summary>
    public static EmulatorOptions? Parse(IReadOnlyList<string> args, out bool showHelp, out string? error)
    {
        var options = new EmulatorOptions();
        showHelp = false;
        error = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string name = arg, inline = string.Empty;
            var hasInline = false;
            var eq = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
                hasInline = true;
            }

            string? Value()
            {
                if (hasInline)
                {
                    return inline;
                }
                if (i + 1 < args.Count)
                {
                    return args[++i];
                }
                return null;
            }

            try
            {
                switch (name)
                {
                    case "--help" or "-h" or "-?":
                        showHelp = true;
                        return null;
                    case "--port": options.Port = Int(name, Value(), 0, 65535); break;
                    case "--host": options.Host = Required(name, Value()); break;
                    case "--key":
                    {
                        var parts = Required(name, Value()).Split(':', 2);
                        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                        {
                            throw new FormatException("--key expects ID:SECRET");
                        }
                        options.AccessKeys.Add(new EmulatorAccessKey(parts[0], parts[1]));
                        break;
                    }
                    case "--sts":
                    {
                        var parts = Required(name, Value()).Split(':', 3);
                        if (parts.Length != 3 || parts.Any(p => p.Length == 0))
                        {
                            throw new FormatException("--sts expects ID:SECRET:TOKEN");
                        }
                        options.AccessKeys.Add(new EmulatorAccessKey(parts[0], parts[1], parts[2]));
                        break;
                    }
                    case "--denied-key":
                    {
                        var parts = Required(name, Value()).Split(':', 2);
                        if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                        {
                            throw new FormatException("--denied-key expects ID:SECRET");
                        }
                        options.AccessKeys.Add(new EmulatorAccessKey(parts[0], parts[1], Denied: true));
                        break;
                    }
                    case "--no-demo-keys": options.DemoKeys = false; break;
                    case "--url-ttl": options.UrlTtlSeconds = Int(name, Value(), 0, int.MaxValue); break;
                    case "--qps": options.Qps = Int(name, Value(), 0, int.MaxValue); break;
                    case "--retry-after-ms": options.RetryAfterMs = Int(name, Value(), 0, int.MaxValue); break;
                    case "--api-latency-ms": options.ApiLatencyMs = Int(name, Value(), 0, int.MaxValue); break;
                    case "--download-latency-ms": options.DownloadLatencyMs = Int(name, Value(), 0, int.MaxValue); break;
                    case "--recording-size":
                        options.RecordingSize = long.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                            ? size
                            : throw new FormatException("--recording-size expects a number of bytes");
                        break;
                    case "--recordings-dir": options.RecordingsDir = Path.GetFullPath(Required(name, Value())); break;
                    case "--recording-version": options.RecordingVersion = Int(name, Value(), int.MinValue, int.MaxValue, NumberStyles.AllowLeadingSign); break;
                    case "--timestamp-window-minutes": options.TimestampWindowMinutes = Int(name, Value(), 0, 100_000); break;
                    case "--retention-days": options.RetentionDays = Int(name, Value(), 0, 100_000); break;
                    case "--ecs-role": options.EcsRole = Required(name, Value()); break;
                    case "--sts-role": options.StsRoles.Add(Required(name, Value())); break;
                    case "--sts-denied-role": options.StsDeniedRoles.Add(Required(name, Value())); break;
                    case "--oidc-provider": options.OidcProviders.Add(Required(name, Value())); break;
                    case "--oidc-token": options.OidcTokens.Add(Required(name, Value())); break;
                    case "--sts-session-seconds": options.StsSessionSeconds = Int(name, Value(), 1, 43200); break;
                    case "--https-port": options.HttpsPort = Int(name, Value(), 0, 65535); break;
                    case "--https-cert-file": options.HttpsCertificateFile = Path.GetFullPath(Required(name, Value())); break;
                    case "--fault-seed": options.Faults.Seed = Int(name, Value(), int.MinValue, int.MaxValue, NumberStyles.AllowLeadingSign); break;
                    case "--fault-api-5xx": options.Faults.Api5xxRate = Rate(name, Value()); break;
                    case "--fault-api-throttle": options.Faults.ApiThrottleRate = Rate(name, Value()); break;
                    case "--fault-api-system-error": options.Faults.ApiSystemErrorRate = Rate(name, Value()); break;
                    case "--fault-api-reset": options.Faults.ApiResetRate = Rate(name, Value()); break;
                    case "--fault-api-stall": options.Faults.ApiStallRate = Rate(name, Value()); break;
                    case "--fault-api-endless-error": options.Faults.ApiEndlessErrorRate = Rate(name, Value()); break;
                    case "--fault-ram-deny-all": options.Faults.RamDenyAll = true; break;
                    case "--fault-metadata-unreachable": options.Faults.MetadataUnreachable = true; break;
                    case "--fault-download-endless-403": options.Faults.DownloadEndless403Rate = Rate(name, Value()); break;
                    case "--fault-download-header-stall": options.Faults.DownloadHeaderStallRate = Rate(name, Value()); break;
                    case "--fault-download-corrupt": options.Faults.DownloadCorruptRate = Rate(name, Value()); break;
                    case "--fault-corrupt-next-downloads": options.Faults.CorruptNextDownloads = Int(name, Value(), 0, int.MaxValue); break;
                    case "--fault-clock-skew-seconds":
                        options.Faults.ClockSkewSeconds = Int(name, Value(), -MaxClockSkewSeconds, MaxClockSkewSeconds, NumberStyles.AllowLeadingSign);
                        break;
                    case "--fault-download-5xx": options.Faults.Download5xxRate = Rate(name, Value()); break;
                    case "--fault-download-truncate": options.Faults.DownloadTruncateRate = Rate(name, Value()); break;
                    case "--fault-download-stall": options.Faults.DownloadStallRate = Rate(name, Value()); break;
                    case "--fault-download-bytes-per-second": options.Faults.DownloadSlowBytesPerSecond = Int(name, Value(), 0, int.MaxValue); break;
                    case "--download-total-bytes-per-second": options.Faults.DownloadTotalBytesPerSecond = Int(name, Value(), 0, int.MaxValue); break;
                    case "--fault-expire-next-downloads": options.Faults.ExpireNextDownloads = Int(name, Value(), 0, int.MaxValue); break;
                    case "--token-lifetime": options.TokenLifetimeSeconds = Int(name, Value(), 1, 43200); break;
                    case "--visibility-timeout": options.VisibilityTimeoutSeconds = Int(name, Value(), 1, 43200); break;
                    case "--polling-wait": options.PollingWaitSeconds = Int(name, Value(), 0, 30); break;
                    case "--receipts": options.Receipts = Int(name, Value(), 0, 100_000); break;
                    case "--fault-mns-5xx": options.Faults.Mns5xxRate = Rate(name, Value()); break;
                    case "--fault-mns-reset": options.Faults.MnsResetRate = Rate(name, Value()); break;
                    case "--fault-mns-slow": options.Faults.MnsSlowRate = Rate(name, Value()); break;
                    case "--fault-mns-slow-ms": options.Faults.MnsSlowMs = Int(name, Value(), 0, 600_000); break;
                    case "--fault-mns-denied-queue": options.Faults.MnsDeniedQueue = Required(name, Value()); break;
                    case "--verbose": options.Verbose = true; break;
                    default:
                        throw new FormatException("Unknown option: " + arg);
                }
            }
            catch (FormatException e)
            {
                error = e.Message;
                return null;
            }
        }
        return options;
    }

    private static string Required(string name, string? value) =>
        string.IsNullOrEmpty(value) ? throw new FormatException(name + " needs a value") : value;

    /// <summary>Largest clock skew accepted, either way (100 days).</summary>
    public const int MaxClockSkewSeconds = 100 * 24 * 3600;

    private static double Rate(string name, string? value) =>
        double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var r) && r is >= 0 and <= 1
            ? r
            : throw new FormatException(name + " expects a probability from 0 to 1, like 0.05");

    private static int Int(string name, string? value, int min, int max, NumberStyles styles = NumberStyles.None) =>
        int.TryParse(value, styles, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name} expects a whole number from {min} to {max}"));
}
