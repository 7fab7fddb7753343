using System.Collections.Concurrent;
using Corral.Hosting;
using Corral.Jobs;
using Corral.Placement;

namespace Corral.Tests.Grains;

/// <summary>
/// The in-memory cluster's host grain: placed on its silo by the product's placement, like the product's HostGrain,
/// but it only records what it was asked to start (no Docker). Jobs it was handed stay "starting".
/// The in-memory fixture leaves the product's HostGrain out, so this is its one implementation of IHostGrain;
/// the PostgreSQL fixture leaves this one out instead.
/// </summary>
[HostSiloPlacement]
public sealed class RecordingHostGrain : Grain, IHostGrain
{
    /// <summary>Every launch handed to a host grain of an in-memory cluster, by job id.</summary>
    public static ConcurrentDictionary<string, JobLaunch> Launches { get; } = new(StringComparer.Ordinal);

    public Task StartAsync(JobLaunch launch)
    {
        Launches[launch.JobId] = launch;
        return Task.CompletedTask;
    }

    public Task StopAsync(string jobId, TerminationReason reason, string message) => Task.CompletedTask;

    public Task EndAsync(string jobId, string message) => Task.CompletedTask;

    /// <summary>Every job asked to stop (a preemption's SIGTERM), by id.</summary>
    public static ConcurrentDictionary<string, bool> AskedToStop { get; } = new(StringComparer.Ordinal);

    public Task AskToStopAsync(string jobId)
    {
        AskedToStop[jobId] = true;
        return Task.CompletedTask;
    }

    /// <summary>A recorded launch is a container starting, of the launch's attempt; a job without one has none here.</summary>
    public Task<HostJobState> InspectAsync(string jobId) => Task.FromResult(
        Launches.TryGetValue(jobId, out var launch) ? new HostJobState(HostJobPhase.Starting, null, launch.Attempt) : HostJobState.Unknown);

    /// <summary>Recorded launches have no working directory to copy.</summary>
    public Task<bool> SnapshotFilesAsync(string jobId) => Task.FromResult(false);
}
