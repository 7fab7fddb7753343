using System.Collections.Concurrent;
using Corral.Hosting;
using Corral.Jobs;

namespace Corral.Benchmarks.Dispatch;

/// <summary>
/// Stands in for the job supervisors of the HostAgent processes: a job handed over is reported running at once and
/// completed successfully after <see cref="RunTime"/>, through the same job grain calls a HostAgent makes. Real containers
/// take a second to start, which would measure Docker, not admission and dispatch.
/// </summary>
public sealed class SimulatedFleet(IGrainFactory grains)
{
    private readonly ConcurrentDictionary<string, SimulatedJob> _jobs = new(StringComparer.Ordinal);
    private long _errors;

    /// <summary>How long a job "runs" between its running and its exit report.</summary>
    public TimeSpan RunTime { get; set; }

    /// <summary>Called with the job id when a job is handed to a worker (its job grain has persisted <c>starting</c>).</summary>
    public Action<string>? Handed { get; set; }

    /// <summary>Called with the job id once its job grain has taken the exit report (the job is terminal, its slot free).</summary>
    public Action<string>? Completed { get; set; }

    public long Errors => Interlocked.Read(ref _errors);

    public Exception? LastError { get; private set; }

    public void Start(JobLaunch launch)
    {
        var job = new SimulatedJob();
        if (_jobs.TryAdd(launch.JobId, job))
        {
            Handed?.Invoke(launch.JobId);
            _ = Task.Run(() => RunAsync(launch, job));
        }
    }

    public void Stop(string jobId, TerminationReason reason, string message)
    {
        if (_jobs.TryGetValue(jobId, out var job))
        {
            job.Killed = JobOutcome.Killed(reason, message);
        }
    }

    public HostJobState Inspect(string jobId) =>
        _jobs.TryGetValue(jobId, out var job) ? job.State : HostJobState.Unknown;

    private async Task RunAsync(JobLaunch launch, SimulatedJob job)
    {
        try
        {
            var grain = grains.GetGrain<IJobGrain>(launch.JobId);
            await grain.ReportRunningAsync(launch.Worker, null);
            job.State = new HostJobState(HostJobPhase.Running, null);
            if (RunTime > TimeSpan.Zero)
            {
                await Task.Delay(RunTime);
            }

            var outcome = job.Killed ?? JobOutcome.FromExit(0, oomKilled: false);
            job.State = new HostJobState(HostJobPhase.Exited, outcome);
            await grain.CompleteAsync(launch.Worker, outcome);
            _jobs.TryRemove(launch.JobId, out _);
            Completed?.Invoke(launch.JobId);
        }
        catch (Exception error)
        {
            LastError = error;
            Interlocked.Increment(ref _errors);
        }
    }

    private sealed class SimulatedJob
    {
        public HostJobState State { get; set; } = new(HostJobPhase.Starting, null);

        public JobOutcome? Killed { get; set; }
    }
}
