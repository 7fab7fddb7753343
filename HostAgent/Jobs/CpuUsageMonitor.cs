using Corral.Resources;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Measures a job's CPU time from its container's cgroup (<see cref="CgroupCpuFiles"/>, <see cref="CgroupCpuUsage"/>)
/// and records it on the job (<see cref="SupervisedJob.CpuSeconds"/>), which the counter reports carry to its grain.
/// </summary>
/// <remarks>
/// The engine removes the cgroup as the container exits, so the last sample is the figure: it is taken often, and the
/// CPU time of the last <see cref="SampleInterval"/> before the exit goes uncounted. A machine where no accounting file
/// is found measures nothing (the figure stays 0) and says so once per job.
/// </remarks>
public sealed partial class CpuUsageMonitor(HostAgentSettings settings, TimeProvider clock, ILogger<CpuUsageMonitor> logger) : IJobMonitor
{
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long a container may take to start before a missing cgroup means this machine has none to read.</summary>
    private static readonly TimeSpan FindFor = TimeSpan.FromMinutes(2);

    private readonly string _root = CgroupPaths.DefaultRoot;

    public Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = WatchAsync(context, stop.Token);
        return Task.FromResult<IAsyncDisposable>(new MonitorWatch(stop, watching));
    }

    private async Task WatchAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var file = new ContainerCgroupFile(CgroupCpuFiles.Candidates(context.ContainerId, settings.JobCgroupParent, _root));
        var lookingSince = clock.GetUtcNow();
        var reportedMissing = false;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // A failed read (the container exited meanwhile) leaves the previous sample standing.
                if (file.TryRead() is { } text && CgroupCpuUsage.Parse(Path.GetFileName(file.Path!), text) is { } used)
                {
                    context.Job.CpuSeconds = Math.Max(context.Job.CpuSeconds, used.TotalSeconds);
                }
                else if (file.Path is null && !reportedMissing && clock.GetUtcNow() - lookingSince > FindFor)
                {
                    reportedMissing = true;
                    LogNoCgroup(context.Job.JobId, file.FirstCandidate);
                }

                await Task.Delay(SampleInterval, clock, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: no CPU accounting file found for its container (looked at {Example} and others); its cpuSeconds stay 0")]
    private partial void LogNoCgroup(string jobId, string example);
}
