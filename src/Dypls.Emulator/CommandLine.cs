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
          --no-demo-keys               Do not accept the built-in demo keys.
          --url-ttl SECONDS            Lifetime of download URLs (default 7200).
          --qps N                      Requests per second before Throttling.User; 0 = unlimited (default 0).
          --retry-after-ms N           With throttling, send header x-acs-retry-after: N (default: not sent).
          --api-latency-ms N           Delay every API answer by N ms (default 0).
          --download-latency-ms N      Delay the first byte of every download by N ms (default 0).
          --recording-size BYTES       Size of generated recordings (default 65536).
          --recordings-dir PATH        Serve <PATH>/<CallId>.mp3 (or any <CallId>.* file) when present.
          --timestamp-window-minutes N Accepted clock skew of Timestamp (default 15).
          --retention-days N           CallTimes older than this have no recording (default 30).
          --ecs-role NAME              Serve a fake ECS metadata service handing out STS keys for role NAME.
          --verbose                    Log ASP.NET requests to the console.
          --help                       Show this text.

        Demo keys (unless --no-demo-keys): AccessKey LTAI5tDyplsDemoKey0001 and STS key STS.DyplsDemoKey0001;
        their secrets are in EmulatorDefaults.cs. CallIds starting with "norecord" and PoolKey NOPOOL give
        product errors. Test hooks: GET /_emulator/stats, POST /_emulator/reset,
        GET /_emulator/recording?CallId=..., GET|POST /_emulator/settings.
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
                    case "--timestamp-window-minutes": options.TimestampWindowMinutes = Int(name, Value(), 0, 100_000); break;
                    case "--retention-days": options.RetentionDays = Int(name, Value(), 0, 100_000); break;
                    case "--ecs-role": options.EcsRole = Required(name, Value()); break;
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

    private static int Int(string name, string? value, int min, int max) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{name} expects a whole number from {min} to {max}"));
}
