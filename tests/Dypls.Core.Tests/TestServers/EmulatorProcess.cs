using System.Diagnostics;
using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Dypls.Core.Tests.TestServers;

/// <summary>
/// The emulator (net10.0, ASP.NET Core) as a separate process on a free loopback port, so tests on every target,
/// net472 included, can talk to it over HTTP. It is found in the repository's build output (built with the solution)
/// or in out/emulator (build.ps1); a missing build fails the test with a message saying so.
/// </summary>
public sealed class EmulatorProcess : IDisposable
{
    public const string KeyId = "LTAI5tDyplsDemoKey0001";
    public const string KeySecret = "DyplsDemoSecret0000000000000001";
    public const string StsKeyId = "STS.DyplsDemoKey0001";
    public const string StsSecret = "DyplsDemoStsSecret000000000001";
    public const string StsToken = "DyplsDemoSecurityToken0001";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private EmulatorProcess(Process process, Uri baseUri)
    {
        _process = process;
        BaseUri = baseUri;
        Http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromSeconds(30) };
    }

    public Uri BaseUri { get; }
    public HttpClient Http { get; }

    public static async Task<EmulatorProcess> StartAsync(params string[] arguments)
    {
        var dll = FindEmulator();
        var psi = new ProcessStartInfo("dotnet")
        {
            Arguments = Quote(dll) + " --port 0 " + string.Join(" ", arguments.Select(Quote)),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        var process = Process.Start(psi) ?? throw new InvalidOperationException("dotnet did not start");
        var first = process.StandardOutput.ReadLineAsync();
        if (await Task.WhenAny(first, Task.Delay(TimeSpan.FromSeconds(60))) != first || first.Result is null ||
            !first.Result.StartsWith("Listening on ", StringComparison.Ordinal))
        {
            try { process.Kill(); } catch (InvalidOperationException) { }
            throw new InvalidOperationException("The emulator did not start: " + (first.IsCompleted ? first.Result : "no answer in 60 s") + " " + process.StandardError.ReadToEnd());
        }
        var emulator = new EmulatorProcess(process, new Uri(first.Result.Substring("Listening on ".Length)));
        // Keep draining both pipes so the emulator never blocks on a full one.
        _ = Task.Run(() => Drain(process.StandardOutput, emulator._output));
        _ = Task.Run(() => Drain(process.StandardError, emulator._output));
        return emulator;
    }

    private static async Task Drain(StreamReader reader, StringBuilder sink)
    {
        try
        {
            string? line;
            while ((line = await reader.ReadLineAsync().ConfigureAwait(false)) != null)
            {
                lock (sink) sink.AppendLine(line);
            }
        }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
    }

    private static readonly char[] NeedsQuotes = [' ', '"', '\''];

#pragma warning disable CA1870 // SearchValues is .NET 8+, and this file also builds for net472
    private static string Quote(string s) => s.IndexOfAny(NeedsQuotes) < 0 ? s : "\"" + s.Replace("\"", "\\\"") + "\"";
#pragma warning restore CA1870

    /// <summary>The emulator's build of this configuration, else of any, else out/emulator.</summary>
    internal static string FindEmulator()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Dypls.sln"))) dir = dir.Parent;
        if (dir == null) throw new InvalidOperationException("Cannot find the repository root (Dypls.sln) above " + AppContext.BaseDirectory);
        var configuration = typeof(EmulatorProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var candidates = new[] { configuration, "Release", "Debug" }
            .Select(c => Path.Combine(dir.FullName, "src", "Dypls.Emulator", "bin", c, "net10.0", "Dypls.Emulator.dll"))
            .Concat(new[] { Path.Combine(dir.FullName, "out", "emulator", "Dypls.Emulator.dll") });
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("The emulator is not built: build Dypls.sln (or run ./build.ps1) first.");
    }

    public async Task<JsonElement> StatsAsync()
    {
        using var doc = JsonDocument.Parse(await Http.GetStringAsync("/_emulator/stats"));
        return doc.RootElement.Clone();
    }

    public async Task<long> StatAsync(string name) => (await StatsAsync()).GetProperty(name).GetInt64();

    public Task<byte[]> ExpectedRecordingAsync(string callId) =>
        Http.GetByteArrayAsync("/_emulator/recording?CallId=" + Uri.EscapeDataString(callId));

    /// <summary>What the emulator printed so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public void Dispose()
    {
        Http.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
