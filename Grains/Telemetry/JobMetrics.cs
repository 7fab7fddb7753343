using System.Diagnostics.Metrics;
using System.Text.Json;
using Corral.Jobs;

namespace Corral.Telemetry;

/// <summary>
/// What job grains record for /metrics, from their persisted transitions: submissions, admissions and ends by
/// service (ends also by status and reason: quota kills are <c>reason="log_quota_exceeded"</c> and the like), how
/// long jobs waited in their quota's queue and for a worker, and each ended job's log and egress bytes. No label
/// names a user or a job: the series stay few whatever the number of users. Reasons are the API's words.
/// </summary>
public static class JobMetrics
{
    private static readonly Meter Meter = new(CorralMeters.Prefix + "Jobs");

    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200];

    private static readonly Counter<long> Submitted = Meter.CreateCounter<long>("corral.jobs.submitted", "{job}", "Jobs accepted");

    private static readonly Counter<long> Admitted = Meter.CreateCounter<long>("corral.jobs.admitted", "{job}", "Jobs given a quota slot");

    private static readonly Counter<long> Finished = Meter.CreateCounter<long>("corral.jobs.finished", "{job}", "Jobs ended, by status and termination reason");

    private static readonly Histogram<double> QueueWait = Meter.CreateHistogram<double>(
        "corral.jobs.queue_wait", "s", "Time from submission to a quota slot", advice: new() { HistogramBucketBoundaries = SecondsBuckets });

    private static readonly Histogram<double> DispatchLatency = Meter.CreateHistogram<double>(
        "corral.jobs.dispatch_latency", "s", "Time from a quota slot to a worker's reservation", advice: new() { HistogramBucketBoundaries = SecondsBuckets });

    private static readonly Histogram<double> SubmitToRunning = Meter.CreateHistogram<double>(
        "corral.jobs.submit_to_running", "s", "Time from submission to a running container", advice: new() { HistogramBucketBoundaries = SecondsBuckets });

    private static readonly Counter<long> LogBytes = Meter.CreateCounter<long>(
        "corral.jobs.log.counted", "By", "Log bytes counted against jobs' log quotas (after ANSI stripping)");

    private static readonly Counter<long> EgressBytes = Meter.CreateCounter<long>("corral.jobs.egress", "By", "Bytes jobs sent out");

    public static void RecordSubmitted(string service) => Submitted.Add(1, Service(service));

    /// <summary>Records the move that <paramref name="state"/>'s last transition is, against the transition before it.</summary>
    public static void RecordMove(JobState state)
    {
        if (state.Spec is null || state.History.Count < 2)
        {
            return;
        }

        var service = Service(state.Spec.Service);
        var now = state.History[^1];
        var before = state.History[^2];
        var since = (now.At - before.At).TotalSeconds;
        switch (now.Status)
        {
            case JobStatus.Pending:
                Admitted.Add(1, service);
                QueueWait.Record(Math.Max(0, (now.At - state.SubmittedAt).TotalSeconds), service);
                break;
            case JobStatus.Starting when before.Status == JobStatus.Pending:
                DispatchLatency.Record(Math.Max(0, since), service);
                break;
            case JobStatus.Running:
                SubmitToRunning.Record(Math.Max(0, (now.At - state.SubmittedAt).TotalSeconds), service);
                break;
            case var ended when JobStateMachine.IsTerminal(ended):
                Finished.Add(1, service,
                    new KeyValuePair<string, object?>("status", ended.ToString().ToLowerInvariant()),
                    new KeyValuePair<string, object?>("reason", state.Reason is { } reason ? JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString()) : "none"));
                break;
        }
    }

    /// <summary>
    /// Adds what a job's counters grew by. Counted where they arrive, not at the job's end: the final figures may come
    /// after the exit report.
    /// </summary>
    public static void RecordCounters(string service, JobCounters before, JobCounters now)
    {
        var tag = Service(service);
        if (now.LogBytesTotal > before.LogBytesTotal)
        {
            LogBytes.Add(now.LogBytesTotal - before.LogBytesTotal, tag);
        }

        if (now.EgressBytes > before.EgressBytes)
        {
            EgressBytes.Add(now.EgressBytes - before.EgressBytes, tag);
        }
    }

    private static KeyValuePair<string, object?> Service(string service) => new("service", service);
}
