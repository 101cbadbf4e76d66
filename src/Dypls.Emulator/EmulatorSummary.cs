using System.Globalization;
using System.Text;

namespace Dypls.Emulator;

/// <summary>The human summary printed after the "Listening on" line. Never prints a secret.</summary>
public static class EmulatorSummary
{
    public static string Describe(EmulatorOptions o)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine("Dyplsapi emulator: Action " + EmulatorDefaults.Action + ", Version " + EmulatorDefaults.ApiVersion + ".");
        if (o.DemoKeys)
        {
            sb.AppendLine("  Demo AccessKeyId: " + EmulatorDefaults.DemoAccessKeyId + " (secret in EmulatorDefaults.cs)");
            sb.AppendLine("  Demo STS AccessKeyId: " + EmulatorDefaults.DemoStsAccessKeyId + " (secret and token in EmulatorDefaults.cs)");
            sb.AppendLine("  Demo AccessKeyId denied by RAM: " + EmulatorDefaults.DeniedAccessKeyId + " (403 Forbidden.RAM; secret in EmulatorDefaults.cs)");
        }
        foreach (var key in o.AccessKeys)
        {
            sb.AppendLine("  " + (key.IsSts ? "STS AccessKeyId: " : "AccessKeyId: ") + key.AccessKeyId + (key.Denied ? " (denied by RAM)" : string.Empty));
        }
        if (!o.DemoKeys && o.AccessKeys.Count == 0 && o.EcsRole is null)
        {
            sb.AppendLine("  No keys configured: every call will fail with InvalidAccessKeyId.NotFound.");
        }
        var source = o.RecordingsDir is null ? " (generated)" : " (or files from " + o.RecordingsDir + ")";
        sb.AppendLine(string.Create(inv, $"  Download URLs live {o.UrlTtlSeconds} s; recordings {o.RecordingSize} bytes{source}; retention {o.RetentionDays} days."));
        var qps = o.Qps > 0 ? o.Qps.ToString(inv) : "none";
        sb.AppendLine(string.Create(inv, $"  Timestamp window {o.TimestampWindowMinutes} min; QPS limit {qps}."));
        if (o.EcsRole is not null)
        {
            sb.AppendLine("  ECS metadata service on /latest/ for role " + o.EcsRole + ".");
        }
        sb.AppendLine(string.Create(inv, $"  STS on \"/\" (AssumeRole, AssumeRoleWithOIDC), sessions of {o.StsSessionSeconds} s; roles {string.Join(", ", o.StsRoles)}; denied {string.Join(", ", o.StsDeniedRoles)}."));
        sb.AppendLine("  OIDC providers " + string.Join(", ", o.OidcProviders) + " (demo token in EmulatorDefaults.cs); credentials URI on " + EmulatorDefaults.CredentialsUriPath + ".");
        sb.AppendLine(string.Create(inv,
            $"  Receipt queues: QueryTokenForMnsQueue on \"/\" (tokens live {o.TokenLifetimeSeconds} s), MNS on /queues/{{queue}}/messages; {EmulatorDefaults.RecordingQueue} ({o.Receipts} receipts), {EmulatorDefaults.ReportQueue}; visibility {o.VisibilityTimeoutSeconds} s, polling wait {o.PollingWaitSeconds} s."));
        var f = o.Faults;
        if (f.Api5xxRate > 0 || f.ApiThrottleRate > 0 || f.ApiSystemErrorRate > 0 || f.ApiResetRate > 0 || f.ApiStallRate > 0 ||
            f.Download5xxRate > 0 || f.DownloadTruncateRate > 0 || f.DownloadStallRate > 0 || f.ApiEndlessErrorRate > 0 ||
            f.DownloadEndless403Rate > 0 || f.DownloadHeaderStallRate > 0 || f.DownloadCorruptRate > 0)
        {
            sb.AppendLine(string.Create(inv,
                $"  Fault rates (seed {f.Seed}): API 5xx {f.Api5xxRate}, throttle {f.ApiThrottleRate}, system error {f.ApiSystemErrorRate}, reset {f.ApiResetRate}, stall {f.ApiStallRate}; downloads 5xx {f.Download5xxRate}, truncate {f.DownloadTruncateRate}, stall {f.DownloadStallRate}; API endless error {f.ApiEndlessErrorRate}; downloads endless 403 {f.DownloadEndless403Rate}, header stall {f.DownloadHeaderStallRate}, corrupt {f.DownloadCorruptRate}."));
        }
        if (f.Mns5xxRate > 0 || f.MnsResetRate > 0 || f.MnsSlowRate > 0 || f.MnsDeniedQueue is not null)
        {
            sb.AppendLine(string.Create(inv,
                $"  MNS faults (seed {f.Seed}): 5xx {f.Mns5xxRate}, reset {f.MnsResetRate}, slow {f.MnsSlowRate} ({f.MnsSlowMs} ms); denied queue {f.MnsDeniedQueue ?? "none"}."));
        }
        if (f.RamDenyAll)
        {
            sb.AppendLine("  RAM denies every key: authenticated calls answer 403 Forbidden.RAM.");
        }
        if (f.CorruptNextDownloads > 0 || o.RecordingVersion != 0)
        {
            sb.AppendLine(string.Create(inv, $"  Next {f.CorruptNextDownloads} whole downloads corrupted; recording version {o.RecordingVersion}."));
        }
        if (f.ClockSkewSeconds != 0 || f.DownloadSlowBytesPerSecond > 0 || f.ExpireNextDownloads > 0)
        {
            sb.AppendLine(string.Create(inv,
                $"  Clock skew {f.ClockSkewSeconds} s; download speed limit {f.DownloadSlowBytesPerSecond} B/s (0 = none); next {f.ExpireNextDownloads} downloads expire."));
        }
        sb.Append("  Ctrl+C to stop.");
        return sb.ToString();
    }
}
