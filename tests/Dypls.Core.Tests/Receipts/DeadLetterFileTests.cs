using System.Text.Json;
using Dypls.Models;
using Dypls.Receipts;

namespace Dypls.Core.Tests.Receipts;

public sealed class DeadLetterFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-deadletter-" + Guid.NewGuid().ToString("N"));

    public DeadLetterFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Writers_appending_at_once_lose_no_line_and_mix_none()
    {
        // Each writer has its own DeadLetterFile, as overlapping runs on one destination do.
        const int writers = 4, lines = 150;
        var error = new DyplsException("RecordingNotAvailable", "no such recording");
        using var start = new Barrier(writers);
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            var file = new DeadLetterFile(_dir);
            start.SignalAndWait();
            for (var i = 0; i < lines; i++)
            {
                var receipt = ReceiptReader.FromRecord(ReceiptBody.Records($$"""{"call_id":"w{{w}}-{{i}}","pool_key":"FC1","call_time":1629893489000}""")[0], "SecretRecording");
                file.Append(receipt, error);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        Assert.All(threads, t => Assert.True(t.Join(TimeSpan.FromSeconds(60))));

        var written = File.ReadAllLines(Path.Combine(_dir, DeadLetterFile.FileName));
        Assert.Equal(writers * lines, written.Length);
        var ids = written.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("callId").GetString()).ToHashSet();
        Assert.Equal(writers * lines, ids.Count);
    }
}
