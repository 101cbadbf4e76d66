using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using Dypls.Downloads;
using Dypls.Runs;

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
        p.Plan(Call(callId, "FC1"), url, expiresAt);

    private static CallRequest Call(string callId, string pool) => CallRequest.Parse(callId, "2026-11-24 09:15:02", pool);

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
        Assert.Equal(expires.ToUnixTimeSeconds(), plan.KnownUrl!.Url.ExpiresAt.ToUnixTimeSeconds());

        var given = DateTimeOffset.UtcNow.AddMinutes(5);
        Assert.Equal(given, Plan(Planner(), "c2", url, given).KnownUrl!.Url.ExpiresAt);
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

    [Fact]
    public void A_destination_given_with_a_trailing_separator_works_the_same()
    {
        var p = new SavePlanner(_dir + Path.DirectorySeparatorChar, new FileNameTemplate("{CallId}"), false, RunStart);
        var plan = Plan(p, "c1");
        Assert.Equal(SavePlanKind.Download, plan.Kind);
        Assert.Equal(Path.Combine(_dir, "c1"), plan.FinalBase);
    }

    [Fact]
    public void File_names_differing_only_in_case_are_one_file_except_on_linux()
    {
        var p = Planner();
        var work = new TaskCompletionSource<int>();
        p.Started(Plan(p, "c1").FinalBase, work.Task);
        var other = Plan(p, "C1");
        Assert.Equal(RuntimeInformation.IsOSPlatform(OSPlatform.Linux) ? SavePlanKind.Download : SavePlanKind.Duplicate, other.Kind);
    }

    [Fact]
    public void A_finished_duplicate_is_still_reported_as_a_duplicate()
    {
        var p = Planner();
        var first = Plan(p, "c1");
        p.Started(first.FinalBase, Task.CompletedTask);
        var again = Plan(p, "c1");
        Assert.Equal(SavePlanKind.Duplicate, again.Kind);
        Assert.Equal(first.FinalBase, again.FinalBase);
        Assert.Same(Task.CompletedTask, again.Original);
    }

    [Fact]
    public void A_failed_row_is_forgotten_once_the_next_row_for_its_file_is_planned()
    {
        var p = Planner();
        var first = Plan(p, "c1");
        p.Started(first.FinalBase, Task.FromException(new IOException("x")));
        Assert.Equal(1, p.Remembered);
        Assert.Equal(SavePlanKind.Download, Plan(p, "c1").Kind);
        Assert.Equal(0, p.Remembered);
    }

    [Fact]
    public void Finished_rows_are_swept_when_1024_are_remembered_and_running_ones_stay()
    {
        var p = Planner();
        var running = new TaskCompletionSource<int>();
        p.Started(Path.Combine(_dir, "running"), running.Task);
        for (var i = 1; i < 1024; i++) p.Started(Path.Combine(_dir, "c" + i), Task.CompletedTask);
        Assert.Equal(1024, p.Remembered);
        p.Started(Path.Combine(_dir, "next"), Task.CompletedTask);
        Assert.Equal(2, p.Remembered);
        Assert.Equal(SavePlanKind.Duplicate, Plan(p, "running").Kind);
        Assert.Equal(SavePlanKind.Duplicate, Plan(p, "next").Kind);
        Assert.Equal(SavePlanKind.Download, Plan(p, "c1").Kind);
    }

    [Fact]
    public void The_planners_clock_dates_a_url_given_without_expiry()
    {
        var now = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
        var p = new SavePlanner(_dir, new FileNameTemplate("{CallId}"), false, RunStart, () => now);
        var plan = Plan(p, "c1", "https://bucket.oss-cn-shanghai.aliyuncs.com/x.mp3?Signature=s");
        Assert.Equal(now + DownloadUrlPolicy.UnknownInputLifetime, plan.KnownUrl!.Url.ExpiresAt);
        Assert.Equal("https://bucket.oss-cn-shanghai.aliyuncs.com/x.mp3?Signature=s", plan.KnownUrl!.Url.DownloadUrl);
    }

    [Fact]
    public void Without_a_clock_the_planner_uses_the_real_time()
    {
        var before = DateTimeOffset.UtcNow;
        var plan = Plan(Planner(), "c1", "https://bucket.oss-cn-shanghai.aliyuncs.com/x.mp3?Signature=s");
        Assert.InRange(plan.KnownUrl!.Url.ExpiresAt, before + DownloadUrlPolicy.UnknownInputLifetime, DateTimeOffset.UtcNow + DownloadUrlPolicy.UnknownInputLifetime);
    }

    [Fact]
    public void The_urls_extension_is_looked_for_before_any_other()
    {
        File.WriteAllText(Path.Combine(_dir, "c1.mp3"), "x");
        File.WriteAllText(Path.Combine(_dir, "c1.amr"), "x");
        Assert.Equal(Path.Combine(_dir, "c1.amr"), Plan(Planner(), "c1", "http://127.0.0.1/b/x.amr").ExistingPath);
        Assert.Equal(Path.Combine(_dir, "c1.mp3"), Plan(Planner(), "c1").ExistingPath);
        Assert.Equal(Path.Combine(_dir, "c1.mp3"), Plan(Planner(), "c1", "http://127.0.0.1/b/x").ExistingPath);
    }

    [Fact]
    public void With_force_a_file_written_exactly_at_the_start_of_the_run_counts_as_done()
    {
        var start = new DateTimeOffset(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);
        var file = Path.Combine(_dir, "c1.mp3");
        File.WriteAllText(file, "x");
        File.SetLastWriteTimeUtc(file, start.UtcDateTime);
        var p = new SavePlanner(_dir, new FileNameTemplate("{CallId}"), true, start);
        Assert.Equal(start.UtcDateTime, p.ReplaceFilesOlderThanUtc);
        Assert.True(p.Force);
        var plan = Plan(p, "c1");
        Assert.Equal(SavePlanKind.Skip, plan.Kind);
        Assert.Equal(file, plan.ExistingPath);
        Assert.Equal(Path.Combine(_dir, "c1"), plan.FinalBase);
        Assert.Null(Planner().ReplaceFilesOlderThanUtc);
    }

    [Fact]
    public void A_folder_is_listed_once_and_a_name_it_showed_is_checked_on_disk()
    {
        File.WriteAllText(Path.Combine(_dir, "c1.mp3"), "x");
        var p = Planner();
        Assert.Equal(SavePlanKind.Download, Plan(p, "c0").Kind); // the folder is listed here
        File.Delete(Path.Combine(_dir, "c1.mp3"));
        Assert.Equal(SavePlanKind.Download, Plan(p, "c1").Kind);
    }

    [Fact]
    public void A_recording_another_run_saves_after_the_listing_is_left_to_the_save_engine()
    {
        // The save engine looks again under the recording's lock, so this row still ends as Skipped, after its API call.
        var p = Planner();
        Assert.Equal(SavePlanKind.Download, Plan(p, "c0").Kind);
        File.WriteAllText(Path.Combine(_dir, "c2.mp3"), "x");
        Assert.Equal(SavePlanKind.Download, Plan(p, "c2").Kind);
        Assert.Equal(SavePlanKind.Skip, Plan(Planner(), "c2").Kind);
    }

    [Fact]
    public void A_recording_this_run_started_is_looked_up_on_disk()
    {
        var p = Planner();
        var first = Plan(p, "c1");
        p.Started(first.FinalBase, Task.FromException(new IOException("cut off")));
        File.WriteAllText(Path.Combine(_dir, "c1.mp3"), "x"); // saved later, e.g. by a retry of another run
        var again = Plan(p, "c1");
        Assert.Equal(SavePlanKind.Skip, again.Kind);
        Assert.Equal(Path.Combine(_dir, "c1.mp3"), again.ExistingPath);
    }

    [Fact]
    public void A_folder_with_more_recordings_than_the_limit_is_looked_up_on_disk()
    {
        foreach (var name in new[] { "a.mp3", "b.wav", "c.amr" }) File.WriteAllText(Path.Combine(_dir, name), "x");
        var p = new SavePlanner(_dir, new FileNameTemplate("{CallId}"), false, RunStart, maxIndexedNames: 2);
        Assert.Equal(SavePlanKind.Skip, Plan(p, "a").Kind);
        File.WriteAllText(Path.Combine(_dir, "d.mp3"), "x");
        Assert.Equal(SavePlanKind.Skip, Plan(p, "d").Kind);
    }

    [Fact]
    public void Only_recordings_count_towards_the_limit_and_started_names_do()
    {
        foreach (var name in new[] { "a.txt", "b.csv", "c.mp3" }) File.WriteAllText(Path.Combine(_dir, name), "x");
        var p = new SavePlanner(_dir, new FileNameTemplate("{CallId}"), false, RunStart, maxIndexedNames: 2);
        var x = Plan(p, "x"); // listed: one recording
        File.WriteAllText(Path.Combine(_dir, "d.mp3"), "x");
        Assert.Equal(SavePlanKind.Download, Plan(p, "d").Kind); // the listing answers
        p.Started(x.FinalBase, new TaskCompletionSource<bool>().Task); // two names
        p.Started(Plan(p, "y").FinalBase, new TaskCompletionSource<bool>().Task); // three: past the limit
        Assert.Equal(SavePlanKind.Skip, Plan(p, "d").Kind); // looked up on disk
    }

    private SavePlanner PerPool(int maxIndexedNames) =>
        new(_dir, new FileNameTemplate("{PoolKey}/{CallId}"), false, RunStart, maxIndexedNames: maxIndexedNames);

    private static SavePlan PlanIn(SavePlanner p, string pool, string callId) => p.Plan(Call(callId, pool), null, null);

    private void Saved(string pool, params string[] names)
    {
        Directory.CreateDirectory(Path.Combine(_dir, pool));
        foreach (var name in names) File.WriteAllText(Path.Combine(_dir, pool, name), "x");
    }

    [Fact]
    public void A_folder_with_exactly_the_limit_of_recordings_is_listed()
    {
        Saved("P1", "x1.mp3", "x2.mp3");
        var p = PerPool(2);
        Assert.Equal(SavePlanKind.Skip, PlanIn(p, "P1", "x1").Kind);
        Saved("P1", "n.mp3");
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P1", "n").Kind); // the listing answers
    }

    [Fact]
    public void A_folder_past_the_limit_gives_its_share_back_to_the_next()
    {
        Saved("P1", "a.mp3", "b.mp3", "c.mp3");
        Saved("P2", "d.mp3");
        var p = PerPool(2);
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P1", "q").Kind);
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P2", "r").Kind); // P2 is listed
        Saved("P2", "s.mp3");
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P2", "s").Kind);
    }

    [Fact]
    public void Once_the_names_are_used_up_a_new_folder_is_looked_up_on_disk()
    {
        Saved("P1", "a.mp3", "b.mp3");
        var p = PerPool(2);
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P1", "q").Kind);
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P2", "r").Kind);
        Saved("P2", "s.mp3");
        Assert.Equal(SavePlanKind.Skip, PlanIn(p, "P2", "s").Kind);
    }

    [Fact]
    public void A_name_started_twice_counts_once_and_starting_in_an_unlisted_folder_is_harmless()
    {
        Saved("P1", "a.mp3", "b.mp3", "c.mp3");
        Saved("P2", "d.mp3");
        var p = PerPool(2);
        var q = PlanIn(p, "P1", "q"); // P1: past the limit, looked up on disk
        p.Started(q.FinalBase, new TaskCompletionSource<bool>().Task);
        var y = PlanIn(p, "P2", "y"); // P2: one name
        p.Started(y.FinalBase, new TaskCompletionSource<bool>().Task); // two
        p.Started(y.FinalBase, new TaskCompletionSource<bool>().Task); // still two
        Saved("P2", "z.mp3");
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P2", "z").Kind); // still listed
    }

    [Fact]
    public void A_folder_dropped_for_its_started_names_gives_its_share_back()
    {
        Saved("P1", "a.mp3");
        Saved("P2", "d.mp3");
        var p = PerPool(2);
        p.Started(PlanIn(p, "P1", "b").FinalBase, new TaskCompletionSource<bool>().Task); // two
        p.Started(PlanIn(p, "P1", "c").FinalBase, new TaskCompletionSource<bool>().Task); // three: P1 dropped
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P2", "r").Kind); // P2 is listed
        Saved("P2", "s.mp3");
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P2", "s").Kind);
    }

    [Fact]
    public void On_linux_only_names_before_an_extension_of_that_exact_case_count()
    {
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return;
        Saved("P1", ".wav", "b.MP3", "a.mp3");
        var p = PerPool(1);
        Assert.Equal(SavePlanKind.Skip, PlanIn(p, "P1", "a").Kind);
        Saved("P1", "n.mp3");
        Assert.Equal(SavePlanKind.Download, PlanIn(p, "P1", "n").Kind); // one name: still listed
    }

    [Fact]
    public void A_row_that_cannot_be_saved_has_no_file_name()
    {
        var plan = Plan(Planner(), "c1", "http://recordings.example.com/x.mp3");
        Assert.Equal(SavePlanKind.Invalid, plan.Kind);
        Assert.Equal(string.Empty, plan.FinalBase);
        Assert.Null(plan.KnownUrl);
        Assert.Null(plan.ExistingPath);
        Assert.StartsWith("CallId 'c1': the download URL", plan.Error!.Message, StringComparison.Ordinal);
    }
}
