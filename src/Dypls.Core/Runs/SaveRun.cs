using System;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Dypls.Api;
using Dypls.Downloads;
using Dypls.Models;

namespace Dypls.Runs
{
    /// <summary>
    /// Save-DyplsRecording's run, from the first row to the last result: plans each row (<see cref="SavePlanner"/>), fetches
    /// its download URL ahead in the API lane, saves it in the download lane (<see cref="RecordingSaver"/>), feeds the
    /// concurrency, and tells a row's caller once its recording is durable at its final name.
    /// </summary>
    internal sealed class SaveRun : CallRun<SavedRecording>
    {
        // Rows allowed in flight, as a multiple of the downloads in flight (URL look-ahead): a row fetches its URL in the API
        // lane and then waits, holding it, for a download slot, so the download lane never waits on API latency. Twice is
        // enough for the API lane to keep ahead when an API call takes about as long as a download, and keeps the URLs
        // waiting (and memory) small. After a stop, what may still finish is the requests already in flight.
        internal const double LookAhead = 2.0;

        private readonly SavePlanner _planner;
        private readonly RecordingSaver _saver;
        private long _bytes;
        private bool _destinationChecked;

        /// <param name="destination">The folder, resolved to a full path; created when missing.</param>
        /// <param name="runStarted">When the run started (the -Force cutoff, see <see cref="ForceCutoff"/>).</param>
        public SaveRun(DyplsApiClient client, HttpClient http, SaveOptions options, string destination, FileNameTemplate template, bool force,
            DateTimeOffset runStarted, int? throttleLimit, bool logging)
            : base(client, throttleLimit, logging,
                c => c.AddFollower(LookAhead, (int)(c.Slots.Ceiling * LookAhead)),
                c => c.AddFollower(1.0, c.Slots.Ceiling))
        {
            Destination = destination;
            _planner = new SavePlanner(destination, template, force, runStarted);
            _saver = new RecordingSaver(http, options, Rows.NewLane(Concurrency.Slots)) { Trace = Trace, Congestion = Concurrency.Congested };
        }

        public string Destination { get; }

        /// <summary>Bytes received so far (for progress). Any thread.</summary>
        public long Bytes => Interlocked.Read(ref _bytes);

        /// <summary>What to do with the row; touches no network. Pipeline thread.</summary>
        public SavePlan Plan(CallRequest call, string? url, object? expiresAt) => _planner.Plan(call, url, expiresAt);

        /// <summary>
        /// Hands the planned row to the run (pipeline thread, after ShouldProcess for a download). Its outcome comes out of
        /// <see cref="RowRun{TResult}.Drain"/> in input order. <paramref name="completion"/>, when given, hears once how the
        /// row ended, on a worker thread, before the outcome is drained: durable once the recording is durable at its final
        /// name (saved, resumed, found saved, or saved by an earlier row of the run), or failed (with the error, or null
        /// when the row was cancelled).
        /// </summary>
        /// <exception cref="DyplsException">The destination cannot be written (it stops the run: every row would fail).</exception>
        public void Start(SavePlan plan, CallRequest call, object row, IRowCompletion? completion = null)
        {
            switch (plan.Kind)
            {
                case SavePlanKind.Invalid:
                    Rows.Add(row, Completed(Task.FromException<SavedRecording>(plan.Error!), completion));
                    return;
                case SavePlanKind.Skip:
                    Trace?.Invoke($"CallId '{call.CallIdForDisplay}': '{plan.ExistingPath}' is already saved; skipped.");
                    Rows.Add(row, Completed(Task.FromResult(SavedRecording.AlreadySaved(call, plan.ExistingPath!)), completion));
                    return;
                case SavePlanKind.Duplicate:
                    // The same recording twice in one run: saved once, reported for both rows.
                    var original = (Task<SavedRecording>)plan.Original!;
                    Rows.Add(row, Completed(original.ContinueWith(t => SavedRecording.SameAs(call, t.GetAwaiter().GetResult()),
                        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default), completion));
                    return;
            }
            EnsureDestinationWritable();
            var task = Rows.Start(row, async token =>
            {
                var saved = await SaveAsync(plan, call, token).ConfigureAwait(false);
                completion?.Durable(saved);
                return saved;
            });
            if (completion != null) _ = task.ContinueWith(t => Failed(t, completion), CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            _planner.Started(plan.FinalBase, task);
        }

        /// <summary>A row whose outcome is known without saving (a receipt of a call with no recording), in its place in the order.</summary>
        public void Finish(object row, SavedRecording result, IRowCompletion? completion) =>
            Rows.Add(row, Completed(Task.FromResult(result), completion));

        private static void Failed(Task task, IRowCompletion completion) =>
            completion.Failed(task.IsCanceled ? null : task.Exception?.GetBaseException());

        private async Task<SavedRecording> SaveAsync(SavePlan plan, CallRequest call, CancellationToken token)
        {
            var who = $"CallId '{call.CallIdForDisplay}'";
            var apiCalls = 0;
            async Task<FetchTarget> FreshUrl(CancellationToken t)
            {
                Interlocked.Increment(ref apiCalls);
                var answer = await Query.QueryAsync(call, t).ConfigureAwait(false);
                try
                {
                    return FetchTarget.Check(answer, givenOnInput: false);
                }
                catch (DyplsException ex)
                {
                    throw ex.About(who);
                }
            }

            // URL look-ahead: the API call happens while the row holds only a row slot, so the download lane never waits on
            // API latency. The saver still looks for a finished file under ownership before it downloads.
            var known = plan.KnownUrl;
            if (known is null)
            {
                known = await FreshUrl(token).ConfigureAwait(false);
                Concurrency.Stepped();
            }
            var job = new SaveJob(call.CallId, plan.FinalBase, FreshUrl, known, _planner.ReplaceFilesOlderThanUtc);
            Trace?.Invoke($"{who}: saving to '{plan.FinalBase}.*'.");
            var result = await _saver.SaveAsync(job, n => Interlocked.Add(ref _bytes, n), token).ConfigureAwait(false);
            // A row another run had saved took no transfer: its time says nothing about the network.
            if (result.Status != DownloadStatus.Skipped) Concurrency.Completed(result.Length, result.TransferTime);
            return SavedRecording.For(call, result, Volatile.Read(ref apiCalls));
        }

        private static Task<SavedRecording> Completed(Task<SavedRecording> outcome, IRowCompletion? completion)
        {
            if (completion is null) return outcome;
            return outcome.ContinueWith(t =>
            {
                if (t.Status != TaskStatus.RanToCompletion)
                {
                    Failed(t, completion);
                    return t;
                }
                completion.Durable(t.Result);
                return t;
            }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).Unwrap();
        }

        /// <summary>
        /// An unwritable destination would fail every row alike, so it is checked once, when the first row is really saved
        /// (never under -WhatIf), and raised once as an error that stops the run.
        /// </summary>
        private void EnsureDestinationWritable()
        {
            if (_destinationChecked) return;
            var probe = Path.Combine(Destination, ".dypls-write-test-" + Guid.NewGuid().ToString("N"));
            try
            {
                Directory.CreateDirectory(Destination);
                using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
                _destinationChecked = true;
            }
            catch (Exception ex) when (ex is IOException || ex is UnauthorizedAccessException || ex is NotSupportedException)
            {
                throw StorageErrors.IsDiskFull(ex)
                    ? StorageErrors.ForWrite(ex, "write", probe)
                    : new DyplsException("DestinationNotWritable",
                        $"Cannot write recordings to '{Destination}': {ex.Message} Choose a folder you can write to with -Destination.", ex, stopsRun: true, category: FailureCategory.WriteError);
            }
        }
    }
}
