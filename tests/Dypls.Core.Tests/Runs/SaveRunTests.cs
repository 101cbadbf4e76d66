using System.Collections.Concurrent;
using System.Globalization;
using Dypls.Api;
using Dypls.Core.Tests.TestServers;
using Dypls.Credentials;
using Dypls.Downloads;
using Dypls.Http;
using Dypls.Models;
using Dypls.Runs;

namespace Dypls.Core.Tests.Runs;

/// <summary>A whole save run against the emulator over HTTP: rows in, results in input order, durable callbacks, the stop.</summary>
public sealed class SaveRunTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-saverun-" + Guid.NewGuid().ToString("N"));

    public SaveRunTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private sealed class Fixed(AccessKeyCredential c) : ICredentialProvider
    {
        public string Description => "test";
        public Task<AccessKeyCredential> GetCredentialAsync(CancellationToken cancellationToken) => Task.FromResult(c);
    }

    private static readonly string CallTime =
        DateTimeOffset.UtcNow.AddMinutes(-5).ToOffset(TimeSpan.FromHours(8)).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    private SaveRun Run(EmulatorProcess emu, int? throttleLimit, string secret = EmulatorProcess.KeySecret) => new(
        new DyplsApiClient(new Fixed(new AccessKeyCredential(EmulatorProcess.KeyId, secret, null, "test")), new DyplsClientOptions
        {
            Endpoint = emu.BaseUri,
            BaseRetryDelay = TimeSpan.FromMilliseconds(10),
            MaxRetryDelay = TimeSpan.FromMilliseconds(100),
        }),
        SharedHttpClient.Get(TimeSpan.FromSeconds(5)),
        new SaveOptions { BaseRetryDelay = TimeSpan.FromMilliseconds(10), MaxRetryDelay = TimeSpan.FromMilliseconds(50) },
        _dir, new FileNameTemplate("{CallId}"), force: false, DateTimeOffset.UtcNow, throttleLimit, logging: false);

    private static CallRequest Call(string callId) => CallRequest.Parse(callId, CallTime, "FC100000012345");

    [Fact]
    public async Task Each_row_is_told_once_its_recording_is_durable_at_its_final_name_and_results_keep_input_order()
    {
        using var emu = await EmulatorProcess.StartAsync();
        using var run = Run(emu, throttleLimit: 4);
        File.WriteAllBytes(Path.Combine(_dir, "there-1.mp3"), [1, 2, 3]);
        var ids = new[] { "c-1", "there-1", "c-2", "c-1", "norecord-1", "c-3" };
        var told = new ConcurrentQueue<(string Row, string Path, bool Existed)>();
        var failed = new ConcurrentQueue<(string Row, string? ErrorId)>();
        for (var i = 0; i < ids.Length; i++)
        {
            var rowName = "row" + i.ToString(CultureInfo.InvariantCulture);
            var call = Call(ids[i]);
            run.Start(run.Plan(call, null, null), call, rowName, new Completion(
                saved => told.Enqueue((rowName, saved.Path, File.Exists(saved.Path))),
                error => failed.Enqueue((rowName, (error as DyplsException)?.ErrorId))));
        }

        var outcomes = run.Rows.Drain(all: true, () => { }).ToList();

        Assert.Equal(Enumerable.Range(0, ids.Length).Select(i => "row" + i.ToString(CultureInfo.InvariantCulture)), outcomes.Select(o => (string)o.Row));
        Assert.Equal(RowOutcomeKind.Failed, outcomes[4].Kind);
        Assert.Equal("RecordingNotAvailable", ((DyplsException)outcomes[4].Error!).ErrorId);
        var results = outcomes.Where(o => o.Kind == RowOutcomeKind.Result).Select(o => o.Result).ToList();
        Assert.Equal(["c-1", "there-1", "c-2", "c-1", "c-3"], results.Select(r => r.CallId));
        Assert.Equal([DownloadStatus.Downloaded, DownloadStatus.Skipped, DownloadStatus.Downloaded, DownloadStatus.Skipped, DownloadStatus.Downloaded], results.Select(r => r.Status));
        // Every row but the failed one, the duplicate included (after the one save), each once, with its file in place.
        Assert.Equal(["row0", "row1", "row2", "row3", "row5"], told.Select(t => t.Row).OrderBy(r => r, StringComparer.Ordinal));
        Assert.All(told, t => Assert.True(t.Existed, t.Path));
        Assert.Equal([("row4", (string?)"RecordingNotAvailable")], failed);
        Assert.Equal(await emu.ExpectedRecordingAsync("c-1"), File.ReadAllBytes(results[0].Path));
        Assert.Equal(results[0].Path, results[3].Path);
        Assert.Equal(1, results[0].ApiCalls);
        Assert.Equal(0, results[1].ApiCalls);
        Assert.Equal(4, await emu.StatAsync("apiRequests")); // c-1, c-2, norecord-1, c-3: the duplicate and the saved file ask nothing
    }

    [Fact]
    public async Task A_wrong_key_stops_the_run_once_and_requests_stay_within_the_rows_in_flight()
    {
        using var emu = await EmulatorProcess.StartAsync();
        const int throttle = 16;
        using var run = Run(emu, throttle, secret: "not-the-secret-0000000000000");
        for (var i = 0; i < 300; i++)
        {
            var call = Call("c-" + i.ToString(CultureInfo.InvariantCulture));
            run.Start(run.Plan(call, null, null), call, i);
            _ = run.Rows.Drain(all: false, () => { }).ToList();
            if (run.Rows.Stopped != null) break;
        }
        Assert.True(run.Rows.WaitForWorkers(TimeSpan.FromSeconds(30)));
        var outcomes = run.Rows.Drain(all: true, () => { }).ToList();

        Assert.Equal("AuthenticationFailed", run.Rows.Stopped!.Exception.ErrorId);
        Assert.NotNull(run.Rows.Stopped.Row);
        Assert.DoesNotContain(outcomes, o => o.Kind == RowOutcomeKind.Failed);
        // The bound docs/errors.md gives: what was in flight when the first answer came, at most the rows the look-ahead allows.
        Assert.InRange(await emu.StatAsync("apiRequests"), 1, (long)(throttle * SaveRun.LookAhead));
        Assert.Empty(Directory.GetFiles(_dir, "*", SearchOption.AllDirectories));
    }

    private sealed class Completion(Action<SavedRecording> durable, Action<Exception?> failed) : IRowCompletion
    {
        public void Durable(SavedRecording saved) => durable(saved);
        public void Failed(Exception? error) => failed(error);
    }
}
