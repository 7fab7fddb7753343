using System.Net;
using Corral.Hosting;
using Corral.HostAgent.Containers;
using Corral.Jobs;
using Corral.Workers;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Jobs;

/// <summary>
/// Starts a job's container on this host: checks the launch against this host (<see cref="LaunchGuard"/>),
/// builds the create parameters, and for an SSH session finds the port Docker published and waits until the
/// server greets, so that "running" means a user can log in.
/// </summary>
public sealed partial class ContainerLauncher(
    ContainerRuntime runtime,
    HostAgentSettings settings,
    WorkerCapacity capacity,
    ILogger<ContainerLauncher> logger)
{
    private static readonly TimeSpan SshGreetingTimeout = TimeSpan.FromSeconds(15);

    /// <exception cref="InvalidOperationException">This host refuses the launch; the message says why.</exception>
    public async Task<(string ContainerId, SshEndpoint? Ssh)> StartAsync(JobLaunch launch, CancellationToken cancellationToken)
    {
        var guarded = LaunchGuard.Check(launch, settings.SshCaps, capacity.Gpus);
        if (guarded.Refusal is { } refusal)
        {
            throw new InvalidOperationException(refusal);
        }

        foreach (var clamp in guarded.Clamped)
        {
            LogClamped(launch.JobId, clamp);
        }

        if (launch.Spec.Kind != JobKind.Ssh)
        {
            return (await runtime.CreateAndStartAsync(ContainerSpecBuilder.Build(guarded.Launch), cancellationToken), null);
        }

        var bind = BindAddress(settings.PublicAddress);
        var options = new SshHostOptions(bind.ToString(), ProcBinds());
        var containerId = await runtime.CreateAndStartAsync(ContainerSpecBuilder.Build(guarded.Launch, options), cancellationToken);
        try
        {
            var port = await runtime.GetPublishedPortAsync(containerId, SshSession.PortKey, cancellationToken);
            var probe = bind.Equals(IPAddress.Any) ? IPAddress.Loopback : bind;
            if (!await ContainerRuntime.WaitForSshGreetingAsync(probe.ToString(), port, SshGreetingTimeout, cancellationToken))
            {
                // A long setup command, or a server that died (its exit is reported next): report it anyway.
                LogSshSilent(launch.JobId, port, SshGreetingTimeout.TotalSeconds);
            }

            return (containerId, new SshEndpoint(settings.PublicAddress, port, SshSession.User));
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            await runtime.RemoveAsync(containerId);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: SSH session clamped to this worker's cap: {Clamp}")]
    private partial void LogClamped(string jobId, string clamp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: the SSH server on port {Port} did not greet within {Seconds} s")]
    private partial void LogSshSilent(string jobId, int port, double seconds);
}
