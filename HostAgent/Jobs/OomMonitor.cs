using Corral.HostAgent.Containers;
using Corral.Jobs;
using Corral.Resources;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Ends a job as soon as the kernel's OOM killer strikes inside its container. A batch job whose main process
/// was killed exits by itself; an SSH session would not (only the greedy process dies and the server lives
/// on), yet its state is no longer what the user left: the job ends <c>out_of_memory</c> either way, as Slurm ends a
/// step with an OOM kill in it.
/// </summary>
/// <remarks>
/// Two sources, either enough: the engine's "oom" event, and the cgroup's own count of OOM kills
/// (<see cref="CgroupOomKills"/>), read every <see cref="PollInterval"/>. The engine misses the kills of a container's
/// first moments (it starts watching the cgroup only after the process starts), which a job that fills memory at once
/// does on a loaded host; the count misses nothing while the cgroup exists.
/// </remarks>
public sealed partial class OomMonitor(ContainerRuntime runtime, HostAgentSettings settings, TimeProvider clock, ILogger<OomMonitor> logger) : IJobMonitor
{
    public const string Message = "the container ran out of memory and was killed";

    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly string _root = CgroupPaths.DefaultRoot;

    public Task<IAsyncDisposable> StartAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var kill = () => context.KillAsync(TerminationReason.OutOfMemory, Message);
        var watching = Task.WhenAll(WatchEventsAsync(context, kill, stop.Token), PollCgroupAsync(context, kill, stop.Token));
        return Task.FromResult<IAsyncDisposable>(new MonitorWatch(stop, watching));
    }

    private async Task WatchEventsAsync(JobMonitorContext context, Func<Task> kill, CancellationToken cancellationToken)
    {
        try
        {
            await runtime.WatchOomAsync(context.ContainerId, kill, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            LogWatchFailed(context.Job.JobId, error.Message);
        }
    }

    private async Task PollCgroupAsync(JobMonitorContext context, Func<Task> kill, CancellationToken cancellationToken)
    {
        var file = new ContainerCgroupFile(CgroupOomKills.Candidates(context.ContainerId, settings.JobCgroupParent, _root));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (CgroupOomKills.Parse(file.TryRead()) > 0)
                {
                    await kill();
                    return;
                }

                await Task.Delay(PollInterval, clock, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception error)
        {
            // The kill failed (the container gone meanwhile, say): nothing is left to end.
            LogWatchFailed(context.Job.JobId, error.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: cannot watch for OOM kills: {Error}")]
    private partial void LogWatchFailed(string jobId, string error);
}
