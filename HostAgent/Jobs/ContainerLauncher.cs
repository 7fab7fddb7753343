using System.Net;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Logs;
using Corral.HostAgent.Workspaces;
using Corral.Images;
using Corral.Jobs;
using Corral.Workers;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Starts a job's container on this host: checks the launch against this host (its JOB_IMAGES, <see cref="LaunchGuard"/>),
/// gives the job its output file, builds the create parameters, and for an SSH session finds the port Docker
/// published and waits until the server greets, so that "running" means a user can log in.
/// </summary>
public sealed partial class ContainerLauncher(
    ContainerRuntime runtime,
    HostAgentSettings settings,
    WorkerCapacity capacity,
    JobOutputFiles outputs,
    JobWorkspaces workspaces,
    ILogger<ContainerLauncher> logger)
{
    private static readonly TimeSpan SshGreetingTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Checks the launch against this host and creates its container, not yet started, so monitors can be in
    /// place before it runs.
    /// </summary>
    /// <exception cref="InvalidOperationException">This host refuses the launch; the message says why.</exception>
    public async Task<PreparedContainer> CreateAsync(JobLaunch launch, CancellationToken cancellationToken)
    {
        if (!settings.JobImages.Allows(launch.Spec.Image))
        {
            LogImageRefused(launch.JobId, launch.Spec.Image);
            // Names the job's own image only: the list, and what else this engine holds, stay the operator's.
            throw new InvalidOperationException($"the image '{launch.Spec.Image}' is not allowed on this worker ({JobImageAllowList.Variable})");
        }

        var guarded = LaunchGuard.Check(launch, settings.SshCaps, capacity.Gpus, capacity.Pids);
        if (guarded.Refusal is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        foreach (var clamp in guarded.Clamped)
        {
            LogClamped(launch.JobId, clamp);
        }

        var ssh = launch.Spec.Kind == JobKind.Ssh;
        var bind = ssh ? BindAddress(settings.PublicAddress) : null;
        var options = bind is null ? null : new SshHostOptions(bind.ToString(), ProcBinds());
        var output = outputs.Create(launch.JobId);
        try
        {
            // Three independent steps, each a round trip to the engine or the disk, at once: they are a user's wait.
            var macFree = EnsureMacIsFreeAsync(launch.JobId, cancellationToken);
            // An SSH session runs the agent's entry script in place of the image's entry point.
            var entrypoint = ssh ? Task.FromResult<IReadOnlyList<string>>([]) : runtime.GetImageEntrypointAsync(launch.Spec.Image, cancellationToken);
            // Filled before the container exists: the job finds its inputs at its first instruction.
            var preparing = workspaces.PrepareAsync(launch.JobId, cancellationToken);
            // All three end before a failure is thrown, so the clean-up below never races a step still running.
            await Task.WhenAll(macFree, entrypoint, preparing);
            var (imageEntrypoint, work) = (await entrypoint, await preparing);
            var entry = new JobEntry(output, JobOutputFiles.RunnerPath, imageEntrypoint, work, settings.JobOutputMaxBytesPerHour);
            var containerId = await runtime.CreateAsync(ContainerSpecBuilder.Build(guarded.Launch, entry, options, settings.JobCgroupParent, settings.JobReadOnlyRootfs), cancellationToken);
            return new PreparedContainer(containerId, launch.JobId, bind);
        }
        catch
        {
            outputs.Delete(launch.JobId);
            workspaces.Delete(launch.JobId);
            throw;
        }
    }

    /// <summary>
    /// Refuses a job whose MAC address another container on this engine has: the egress rules match by MAC, so two
    /// containers with one address would share a chain (one's traffic counted, and stopped, as the other's). MACs
    /// are keyed with a host secret, so this only happens by chance (40 bits); refused rather than moved to another
    /// address, because a restarted agent finds an adopted container's chains by the MAC derived from its id.
    /// </summary>
    private async Task EnsureMacIsFreeAsync(string jobId, CancellationToken cancellationToken)
    {
        var mac = JobMacAddress.For(jobId);
        if (await runtime.FindMacOwnerAsync(mac, jobId, cancellationToken) is { } owner)
        {
            LogMacInUse(jobId, mac, owner);
            // The other container is not named: it may be another tenant's job.
            throw new InvalidOperationException(
                $"its MAC address {mac} is already in use by another container on this worker; submit the job again (with another Idempotency-Key)");
        }
    }

    /// <summary>Removes a job's container and its output file; call it once the output is stored.</summary>
    public async Task RemoveAsync(string containerId, string jobId)
    {
        await runtime.RemoveAsync(containerId);
        outputs.Delete(jobId);
    }

    /// <summary>
    /// Starts a prepared container. For an SSH session, finds the port Docker published and waits until the server
    /// greets, so that "running" means a user can log in; returns where to reach it.
    /// </summary>
    public async Task<SshEndpoint?> StartAsync(PreparedContainer prepared, CancellationToken cancellationToken)
    {
        await runtime.StartAsync(prepared.ContainerId, cancellationToken);
        if (prepared.SshBind is not { } bind)
        {
            return null;
        }

        try
        {
            var port = await runtime.GetPublishedPortAsync(prepared.ContainerId, SshSession.PortKey, cancellationToken);
            var probe = bind.Equals(IPAddress.Any) ? IPAddress.Loopback : bind;
            if (!await ContainerRuntime.WaitForSshGreetingAsync(probe.ToString(), port, SshGreetingTimeout, cancellationToken))
            {
                // A long setup command, or a server that died (its exit is reported next): report it anyway.
                LogSshSilent(prepared.JobId, port, SshGreetingTimeout.TotalSeconds);
            }

            return new SshEndpoint(settings.PublicAddress, port, SshSession.User);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            await RemoveAsync(prepared.ContainerId, prepared.JobId);
            throw;
        }
    }

    /// <summary>
    /// Where the session's port is published: the worker's address when it is an IP address, loopback for
    /// "localhost", and every address for another name (the address users reach may be a NAT's, not this host's).
    /// </summary>
    public static IPAddress BindAddress(string publicAddress) =>
        IPAddress.TryParse(publicAddress, out var address) ? address
        : string.Equals(publicAddress, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback
        : IPAddress.Any;

    private IReadOnlyList<string> ProcBinds()
    {
        if (settings.SshUseLxcfs == false)
        {
            return [];
        }

        var binds = Lxcfs.AvailableBinds();
        if (binds.Count == 0 && settings.SshUseLxcfs == true)
        {
            throw new InvalidOperationException($"SSH_USE_LXCFS=true but lxcfs does not serve {Lxcfs.Root} on this worker");
        }

        return binds;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: refused, its image {Image} is not on this worker's JOB_IMAGES")]
    private partial void LogImageRefused(string jobId, string image);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: refused, its MAC {Mac} is already in use by container {Owner}")]
    private partial void LogMacInUse(string jobId, string mac, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: SSH session clamped to this worker's cap: {Clamp}")]
    private partial void LogClamped(string jobId, string clamp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the SSH server on port {Port} did not greet within {Seconds} s")]
    private partial void LogSshSilent(string jobId, int port, double seconds);
}

/// <summary>A created, not yet started job container; <paramref name="SshBind"/> is set for SSH sessions.</summary>
public sealed record PreparedContainer(string ContainerId, string JobId, IPAddress? SshBind);
