using Dypls.Emulator;
using Xunit;

namespace Dypls.Emulator.Tests;

public class EmulatorCommandLineTests
{
    [Fact]
    public void Parses_every_option()
    {
        var options = CommandLine.Parse([
            "--port", "8123", "--host=0.0.0.0", "--key", "AK1:S1", "--key", "AK2:S:2", "--sts", "STS.X:SX:TX", "--no-demo-keys",
            "--url-ttl", "60", "--qps", "10", "--api-latency-ms", "5", "--download-latency-ms", "6", "--recording-size", "536870912",
            "--recordings-dir", "/tmp", "--timestamp-window-minutes", "3", "--retention-days", "14", "--ecs-role", "R",
            "--retry-after-ms", "250", "--verbose",
        ], out var help, out var error);

        Assert.Null(error);
        Assert.False(help);
        Assert.NotNull(options);
        Assert.Equal(8123, options!.Port);
        Assert.Equal("0.0.0.0", options.Host);
        Assert.Equal(3, options.AccessKeys.Count);
        Assert.Equal(new EmulatorAccessKey("AK2", "S:2"), options.AccessKeys[1]);
        Assert.True(options.AccessKeys[2].IsSts);
        Assert.Equal("TX", options.AccessKeys[2].SecurityToken);
        Assert.False(options.DemoKeys);
        Assert.Equal(60, options.UrlTtlSeconds);
        Assert.Equal(10, options.Qps);
        Assert.Equal(5, options.ApiLatencyMs);
        Assert.Equal(6, options.DownloadLatencyMs);
        Assert.Equal(536870912L, options.RecordingSize);
        Assert.Equal("/tmp", options.RecordingsDir);
        Assert.Equal(3, options.TimestampWindowMinutes);
        Assert.Equal(14, options.RetentionDays);
        Assert.Equal("R", options.EcsRole);
        Assert.Equal(250, options.RetryAfterMs);
        Assert.True(options.Verbose);
    }

    [Fact]
    public void Defaults_match_the_documented_values()
    {
        var options = CommandLine.Parse(Array.Empty<string>(), out _, out _)!;
        Assert.Equal("127.0.0.1", options.Host);
        Assert.True(options.DemoKeys);
        Assert.Equal(7200, options.UrlTtlSeconds);
        Assert.Equal(0, options.Qps);
        Assert.Equal(65536, options.RecordingSize);
        Assert.Equal(15, options.TimestampWindowMinutes);
        Assert.Equal(30, options.RetentionDays);
        Assert.Null(options.RetryAfterMs);
        Assert.Null(options.EcsRole);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--port", "abc")]
    [InlineData("--key", "no-colon")]
    [InlineData("--sts", "A:B")]
    [InlineData("--qps")]
    public void Bad_command_lines_are_reported(params string[] args)
    {
        Assert.Null(CommandLine.Parse(args, out var help, out var error));
        Assert.False(help);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Help_is_recognised_and_documents_every_option()
    {
        Assert.Null(CommandLine.Parse(["--help"], out var help, out _));
        Assert.True(help);
        foreach (var option in new[] { "--port", "--host", "--key", "--sts", "--no-demo-keys", "--url-ttl", "--qps", "--api-latency-ms",
                     "--download-latency-ms", "--recording-size", "--recordings-dir", "--timestamp-window-minutes", "--retention-days",
                     "--ecs-role", "--retry-after-ms", "--verbose" })
        {
            Assert.Contains(option, CommandLine.Help);
        }
        Assert.DoesNotContain(EmulatorDefaults.DemoAccessKeySecret, CommandLine.Help);
    }

    [Fact]
    public void Summary_never_prints_secrets()
    {
        var options = new EmulatorOptions();
        options.AccessKeys.Add(new EmulatorAccessKey("AK1", "TopSecretValue"));
        var text = EmulatorSummary.Describe(options);
        Assert.Contains(EmulatorDefaults.DemoAccessKeyId, text);
        Assert.Contains("AK1", text);
        Assert.DoesNotContain("TopSecretValue", text);
        Assert.DoesNotContain(EmulatorDefaults.DemoAccessKeySecret, text);
        Assert.DoesNotContain(EmulatorDefaults.DemoStsAccessKeySecret, text);
    }
}
