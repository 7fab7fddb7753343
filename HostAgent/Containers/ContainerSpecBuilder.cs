using Corral.Hosting;
using Corral.Jobs;
using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

/// <summary>
/// Turns a job launch into Docker create parameters. Security by default: an unprivileged user, every
/// capability dropped, no-new-privileges, a pids limit, no swap beyond the memory cap, bridge networking only.
/// An SSH session is the same container with the SSH entry (<see cref="SshSession"/>) and its port published.
/// </summary>
public static class ContainerSpecBuilder
{
    /// <summary>The user jobs run as: the unprivileged "corral" user of the default image.</summary>
    public const string JobUser = "1000:1000";

    public static CreateContainerParameters Build(JobLaunch launch, SshHostOptions? ssh = null)
    {
        var limits = launch.Limits;
        var env = launch.Spec.Env
            .Where(e => e.Key is not ("CUDA_VISIBLE_DEVICES" or SshSession.PublicKeyVariable))
            .Select(e => $"{e.Key}={e.Value}")
            .ToList();
        env.Add($"CORRAL_JOB_ID={launch.JobId}");
        if (limits.CudaVisibleDevices is { } visible)
        {
            env.Add($"CUDA_VISIBLE_DEVICES={visible}");
        }

        var parameters = new CreateContainerParameters
        {
            Name = ContainerLabels.NameFor(launch.JobId),
            // Fixed before start: the egress rules match it from the container's first packet on.
            MacAddress = JobMacAddress.For(launch.JobId),
            Image = launch.Spec.Image,
            Cmd = [.. launch.Spec.Command],
            Env = env,
            User = JobUser,
            WorkingDir = "/tmp",
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.JobId] = launch.JobId,
                [ContainerLabels.User] = launch.User,
                [ContainerLabels.Worker] = launch.Worker,
            },
            HostConfig = new HostConfig
            {
                NanoCPUs = (long)Math.Round(limits.Cpu * 1_000_000_000),
                Memory = limits.MemoryBytes,
                MemorySwap = limits.MemoryBytes,
                PidsLimit = limits.Pids,
                CapDrop = ["ALL"],
                SecurityOpt = ["no-new-privileges"],
                Privileged = false,
                NetworkMode = "bridge",
                // Named rather than left to the engine's default: the agent follows json-file logs on disk
                // (LogSourceSelector), whatever driver the engine would pick. No max-size: see LogSourceSelector.
                LogConfig = new LogConfig { Type = ContainerLogFile.JsonFileDriver },
                DeviceRequests = limits.Gpus.IsEmpty
                    ? null
                    : [new DeviceRequest { Driver = "nvidia", DeviceIDs = [.. limits.Gpus], Capabilities = [["gpu"]] }],
            },
        };
        if (launch.Spec.Kind == JobKind.Ssh)
        {
            AddSsh(parameters, launch, ssh ?? SshHostOptions.Loopback);
        }

        return parameters;
    }

    private static void AddSsh(CreateContainerParameters parameters, JobLaunch launch, SshHostOptions ssh)
    {
        // The job's command, if any, becomes the arguments of the entry script: a setup step before the server.
        parameters.Entrypoint = SshSession.Entrypoint;
        parameters.Cmd = launch.Spec.Command.IsEmpty ? null : [.. launch.Spec.Command];
        parameters.Env.Add($"{SshSession.PublicKeyVariable}={launch.Spec.SshPublicKey}");
        parameters.ExposedPorts = new Dictionary<string, EmptyStruct> { [SshSession.PortKey] = default };
        // HostPort "": Docker picks a free port; the agent reads it back after the start.
        parameters.HostConfig.PortBindings = new Dictionary<string, IList<PortBinding>>
        {
            [SshSession.PortKey] = [new PortBinding { HostIP = ssh.BindAddress, HostPort = string.Empty }],
        };
        if (ssh.ProcBinds.Count > 0)
        {
            parameters.HostConfig.Binds = [.. ssh.ProcBinds];
        }
    }
}
