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
        }
        foreach (var key in o.AccessKeys)
        {
            sb.AppendLine("  " + (key.IsSts ? "STS AccessKeyId: " : "AccessKeyId: ") + key.AccessKeyId);
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
        sb.Append("  Ctrl+C to stop.");
        return sb.ToString();
    }
}
