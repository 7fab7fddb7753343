using Corral.HostAgent.Containers;
using Corral.HostAgent.Hardware;
using Corral.HostAgent.Jobs;
using Corral.Workers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent;

/// <summary>
/// Probes the machine, adopts containers left by an earlier run, then registers this worker and keeps
/// heartbeating. The registration names the host grain of this silo, so the cluster reaches this very agent.
/// </summary>
public sealed partial class WorkerRegistrar(
    HostAgentSettings settings,
    ILocalSiloDetails silo,
    ContainerRuntime runtime,
    JobSupervisor supervisor,
    IGrainFactory grains,
    ILogger<WorkerRegistrar> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var capacity = await HardwareProbe.ProbeAsync(settings.InjectedGpus, stoppingToken);
        if (settings.SshCaps == SshCaps.Uncapped)
        {
            LogSshUncapped();
        }

        await supervisor.AdoptAsync(stoppingToken);
        var hostKey = silo.SiloAddress.ToParsableString();
        LogRegistering(settings.WorkerName, capacity.Cpu, capacity.MemoryBytes, capacity.Gpus.Length, hostKey);
        using var heartbeat = new PeriodicTimer(WorkerLiveness.HeartbeatInterval);
        do
        {
            try
            {
                // Resolved on each beat: until a core silo has joined, the cluster knows no implementation of it.
                var worker = grains.GetGrain<IWorkerGrain>(settings.WorkerName);
                var images = await runtime.ListImageTagsAsync(stoppingToken);
                await worker.RegisterAsync(new WorkerRegistration(
                    hostKey, capacity, settings.SshCaps, [.. images], settings.PublicAddress));
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogHeartbeatFailed(error.Message);
            }
        }
        while (await heartbeat.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "SSH sessions on this worker are uncapped: set SSH_MAX_CPU, SSH_MAX_MEMORY and SSH_MAX_PIDS to cap them")]
    private partial void LogSshUncapped();

    [LoggerMessage(Level = LogLevel.Information, Message = "Registering worker {Worker}: {Cpu} CPUs, {Memory} bytes, {Gpus} GPUs, host {HostKey}")]
    private partial void LogRegistering(string worker, double cpu, long memory, int gpus, string hostKey);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Heartbeat failed: {Error}")]
    private partial void LogHeartbeatFailed(string error);
}
