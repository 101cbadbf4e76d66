using System;
using System.IO;
using System.Threading.Tasks;
using Dypls.Downloads;

namespace Dypls.Core.Tests.Downloads;

/// <summary>The save planner: decisions per row, made without the network.</summary>
public sealed class SavePlannerTests : IDisposable
{
    private static readonly DateTimeOffset RunStart = DateTimeOffset.UtcNow;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dypls-plan-" + Guid.NewGuid().ToString("N"));

    public SavePlannerTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private SavePlanner Planner(bool force = false, string template = "{CallId}") => new SavePlanner(_dir, new FileNameTemplate(template), force, RunStart);

    private static SavePlan Plan(SavePlanner p, string callId, string? url = null, object? expiresAt = null) =>
        p.Plan(callId, "2026-11-24 09:15:02", "FC1", url, expiresAt);

    [Fact]
    public void A_new_row_is_downloaded_to_its_file_name()
    {
        var plan = Plan(Planner(template: "{PoolKey}/{CallDate}/{CallId}"), "c1");
        Assert.Equal(SavePlanKind.Download, plan.Kind);
        Assert.Equal(Path.Combine(_dir, "FC1", "2026-11-24", "c1"), plan.FinalBase);
        Assert.Null(plan.KnownUrl);
    }

    [Fact]
    public void A_saved_recording_is_skipped()
    {
        File.WriteAllText(Path.Combine(_dir, "c1.wav"), "x");
        var plan = Plan(Planner(), "c1");
        Assert.Equal(SavePlanKind.Skip, plan.Kind);
        Assert.Equal(Path.Combine(_dir, "c1.wav"), plan.ExistingPath);
    }

    [Fact]
    public void Force_replaces_files_from_before_the_run_but_not_those_written_since()
    {
        var old = Path.Combine(_dir, "old.mp3");
        File.WriteAllText(old, "x");
        File.SetLastWriteTimeUtc(old, RunStart.UtcDateTime.AddMinutes(-10));
        var fresh = Path.Combine(_dir, "fresh.mp3");
        File.WriteAllText(fresh, "x");
        File.SetLastWriteTimeUtc(fresh, RunStart.UtcDateTime.AddSeconds(1));

        var p = Planner(force: true);
        Assert.Equal(SavePlanKind.Download, Plan(p, "old").Kind);
        Assert.Equal(SavePlanKind.Skip, Plan(p, "fresh").Kind);
        Assert.Equal(SavePlanKind.Skip, Plan(Planner(force: false), "old").Kind);
    }

    [Fact]
    public void The_same_recording_twice_in_flight_is_a_duplicate_of_the_first_row()
    {
        var p = Planner();
        var first = Plan(p, "c1");
        var work = new TaskCompletionSource<int>();
        p.Started(first.FinalBase, work.Task);
        var again = Plan(p, "c1");
        Assert.Equal(SavePlanKind.Duplicate, again.Kind);
        Assert.Same(work.Task, again.Original);
    }

    [Fact]
    public void A_row_after_a_failed_one_for_the_same_file_tries_for_itself()
    {
        var p = Planner();
        var first = Plan(p, "c1");
        p.Started(first.FinalBase, Task.FromException(new IOException("x")));
        Assert.Equal(SavePlanKind.Download, Plan(p, "c1").Kind);
    }

    [Fact]
    public void Memory_stays_flat_however_many_rows_go_by()
    {
        var p = Planner();
        for (var i = 0; i < 20000; i++)
        {
            var plan = Plan(p, "c" + i);
            p.Started(plan.FinalBase, Task.CompletedTask);
        }
        Assert.InRange(p.Remembered, 1, 1024);
    }

    [Fact]
    public void A_url_on_input_is_used_with_its_own_expiry()
    {
        var expires = DateTimeOffset.UtcNow.AddMinutes(90);
        var url = $"http://127.0.0.1:5000/b/FC1_x.wav?Expires={expires.ToUnixTimeSeconds()}&OSSAccessKeyId=a&Signature=s";
        var plan = Plan(Planner(), "c1", url);
        Assert.Equal(SavePlanKind.Download, plan.Kind);
        Assert.Equal(expires.ToUnixTimeSeconds(), plan.KnownUrl!.ExpiresAt.ToUnixTimeSeconds());

        var given = DateTimeOffset.UtcNow.AddMinutes(5);
        Assert.Equal(given, Plan(Planner(), "c2", url, given).KnownUrl!.ExpiresAt);
    }

    [Fact]
    public void A_url_on_input_names_the_extension_to_look_for()
    {
        File.WriteAllText(Path.Combine(_dir, "c1.amr"), "x");
        var plan = Plan(Planner(), "c1", "http://127.0.0.1/b/x.amr?Expires=1");
        Assert.Equal(SavePlanKind.Skip, plan.Kind);
        Assert.Equal(Path.Combine(_dir, "c1.amr"), plan.ExistingPath);
    }

    [Theory]
    [InlineData("http://recordings.example.com/x.mp3?Expires=1&Signature=secretsig")]
    [InlineData("ftp://127.0.0.1/x.mp3")]
    public void An_unsafe_url_on_input_fails_only_its_row(string url)
    {
        var plan = Plan(Planner(), "c1", url);
        Assert.Equal(SavePlanKind.Invalid, plan.Kind);
        Assert.Contains(plan.Error!.ErrorId, (string[])["InsecureDownloadUrl", "InvalidDownloadUrl"]);
        Assert.False(plan.Error.StopsRun);
        Assert.Contains("c1", plan.Error.Message);
        Assert.DoesNotContain("secretsig", plan.Error.Message);
    }

    [Fact]
    public void A_callid_never_leaves_the_destination()
    {
        var plan = Plan(Planner(), "../../etc/passwd");
        Assert.Equal(SavePlanKind.Download, plan.Kind);
        Assert.StartsWith(_dir + Path.DirectorySeparatorChar, plan.FinalBase);
    }
}
