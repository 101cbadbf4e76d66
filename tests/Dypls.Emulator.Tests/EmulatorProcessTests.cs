using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using Xunit;

namespace Dypls.Emulator.Tests;

/// <summary>The emulator as a real process: the stdout protocol scripts rely on, and a clean stop on SIGTERM.</summary>
public class EmulatorProcessTests
{
    [Fact]
    public async Task First_stdout_line_is_Listening_on_and_SIGTERM_stops_it()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Dypls.Emulator.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add("0");
        psi.ArgumentList.Add("--key");
        psi.ArgumentList.Add("LTAI5tProcessKey:ProcessSecretValue");
        using var process = Process.Start(psi)!;
        try
        {
            var first = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(first);
            Assert.Matches(new Regex("^Listening on http://127\\.0\\.0\\.1:[1-9][0-9]*/$"), first);
            var baseUri = new Uri(first!["Listening on ".Length..]);

            using var http = new HttpClient { BaseAddress = baseUri };
            using var stats = await http.GetAsync("/_emulator/stats");
            Assert.Equal(HttpStatusCode.OK, stats.StatusCode);

            if (!OperatingSystem.IsWindows())
            {
                using var kill = Process.Start("kill", new[] { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                await kill.WaitForExitAsync();
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                await process.WaitForExitAsync(cts.Token);
                Assert.Equal(0, process.ExitCode);
                var rest = await process.StandardOutput.ReadToEndAsync();
                Assert.Contains("LTAI5tProcessKey", rest);
                Assert.DoesNotContain("ProcessSecretValue", rest);
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
