using Corral.Hosting;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Corral.Resources;
using Docker.DotNet.Models;

namespace Corral.HostAgent.Containers;

/// <summary>
/// How a job's program starts: <paramref name="RunnerPath"/> (corral-run, on the host) makes
/// <paramref name="OutputFile"/> (on the host) its stdout and stderr and runs the program, which is the image's
/// entry point (<paramref name="ImageEntrypoint"/>, empty for none) followed by the job's command, as Docker would
/// have run it. <paramref name="WorkDirectory"/> (on the host) is the job's working directory, mounted at /work;
/// without one the job works in /tmp. <paramref name="OutputMaxBytesPerHour"/> (JOB_OUTPUT_MAX_BYTES_PER_HOUR, 0 for no
/// bound) is how much the runner writes to the output file in one hour, escape sequences and all.
/// </summary>
public sealed record JobEntry(
    string OutputFile, string RunnerPath, IReadOnlyList<string> ImageEntrypoint, string? WorkDirectory = null, long OutputMaxBytesPerHour = 0);

/// <summary>
/// Turns a job launch into Docker create parameters. Security by default: an unprivileged user, every
/// capability dropped, no-new-privileges, a pids limit, no swap beyond the memory cap, bridge networking only.
/// An SSH session is the same container with the SSH entry (<see cref="SshSession"/>) and its port published.
/// Every job's output goes to its own file through the runner (<see cref="JobOutputFiles"/> says why).
/// The platform owns the GPU variables (<see cref="PlatformEnvironment"/>): the user's are dropped, and a job
/// without GPUs gets NVIDIA_VISIBLE_DEVICES=void, so an image that says "all" gets none.
/// </summary>
public static class ContainerSpecBuilder
{
    /// <summary>The user jobs run as: the unprivileged "corral" user of the default image.</summary>
    public const string JobUser = "1000:1000";

    /// <summary>
    /// The user the container starts as: root with only <see cref="RunnerCapabilities"/>, which the runner needs to open
    /// the job's output file (the host root's alone) before it becomes <see cref="JobUser"/>, dropping both for good.
    /// </summary>
    public const string ContainerUser = "0:0";

    /// <summary>What the runner needs to become <see cref="JobUser"/>; no process of the job has them.</summary>
    public static readonly IReadOnlyList<string> RunnerCapabilities = ["SETUID", "SETGID"];

    /// <summary>The uid and gid of <see cref="JobUser"/>: its working directory is given to them.</summary>
    public const uint JobUid = 1000;

    public const uint JobGid = 1000;

    /// <summary>
    /// Where the job's working directory is mounted, and its working directory: its input files are there, and what
    /// it leaves there is collected as its results.
    /// </summary>
    public const string WorkInContainer = "/work";

    /// <summary>The job user's home in the platform's images (uid 1000, "corral"): a tmpfs of its own under a read-only root.</summary>
    public const string JobHome = "/home/corral";

    /// <summary>
    /// The places a job may write besides /work when its root filesystem is read-only (JOB_READONLY_ROOTFS, the
    /// default): scratch space programs expect, each a tmpfs sized by the memory cap and charged to it.
    /// </summary>
    public static readonly IReadOnlyList<string> ScratchPaths = ["/tmp", "/var/tmp", "/run", JobHome];

    /// <summary>
    /// The create parameters of a job's container; <paramref name="cgroupParent"/>, when set (CORRAL_JOB_CGROUP_PARENT),
    /// is the cgroup it goes under, so the operator can weigh all jobs together against the control plane.
    /// <paramref name="readOnlyRoot"/> (JOB_READONLY_ROOTFS) makes the image's filesystem read-only, so a job writes only
    /// to its capped /work and to <see cref="ScratchPaths"/> in memory: nothing it does grows the host's disk.
    /// </summary>
    /// <exception cref="InvalidOperationException">A limit would leave the container uncapped (<see cref="ContainerCaps"/>).</exception>
    public static CreateContainerParameters Build(
        JobLaunch launch, JobEntry entry, SshHostOptions? ssh = null, string? cgroupParent = null, bool readOnlyRoot = true)
    {
        var limits = launch.Limits;
        // The last line of defence: Docker reads a zero cap as none, so no container is built without all three.
        if (ContainerCaps.Uncapped(limits) is { } uncapped)
        {
            throw new InvalidOperationException($"job {launch.JobId}: {uncapped}");
        }

        var env = launch.Spec.Env
            .Where(e => e.Key != SshSession.PublicKeyVariable && !PlatformEnvironment.IsReserved(e.Key))
            .Select(e => $"{e.Key}={e.Value}")
            .ToList();
        env.Add($"CORRAL_JOB_ID={launch.JobId}");
        if (!launch.Spec.Env.ContainsKey("HOME"))
        {
            // The engine sets HOME for the container's user, root; the job runs as the job user.
            env.Add($"HOME={JobHome}");
        }

        if (limits.CudaVisibleDevices is { } visible)
        {
            env.Add($"{PlatformEnvironment.CudaVisibleDevices}={visible}");
        }

        if (limits.Gpus.IsEmpty)
        {
            // Overrides an image's NVIDIA_VISIBLE_DEVICES=all (CUDA images set it) under a default nvidia runtime.
            env.Add($"{PlatformEnvironment.NvidiaVisibleDevices}={PlatformEnvironment.NoGpus}");
        }

        var parameters = new CreateContainerParameters
        {
            Name = ContainerLabels.NameFor(launch.JobId),
            // Fixed before start: the egress rules match it from the container's first packet on.
            MacAddress = JobMacAddress.For(launch.JobId),
            Image = launch.Spec.Image,
            // The runner is the entry point, so the program (the image's entry point and the job's command, or the
            // SSH entry) is its arguments.
            Entrypoint =
            [
                JobOutputFiles.RunnerInContainer, JobOutputFiles.FileInContainer,
                entry.OutputMaxBytesPerHour.ToString(System.Globalization.CultureInfo.InvariantCulture), JobUser,
            ],
            Cmd = launch.Spec.Kind == JobKind.Ssh
                ? [.. SshSession.Entrypoint, .. launch.Spec.Command]
                : [.. entry.ImageEntrypoint, .. launch.Spec.Command],
            Env = env,
            User = ContainerUser,
            WorkingDir = entry.WorkDirectory is null ? "/tmp" : WorkInContainer,
            Labels = new Dictionary<string, string>
            {
                [ContainerLabels.JobId] = launch.JobId,
                [ContainerLabels.User] = launch.User,
                [ContainerLabels.Worker] = launch.Worker,
                [ContainerLabels.Attempt] = launch.Attempt.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [ContainerLabels.Output] = entry.OutputFile,
            },
            HostConfig = new HostConfig
            {
                NanoCPUs = (long)Math.Round(limits.Cpu * 1_000_000_000),
                Memory = limits.MemoryBytes,
                MemorySwap = limits.MemoryBytes,
                PidsLimit = limits.Pids,
                CapDrop = ["ALL"],
                CapAdd = [.. RunnerCapabilities],
                SecurityOpt = ["no-new-privileges"],
                Privileged = false,
                NetworkMode = "bridge",
                CgroupParent = cgroupParent,
                Mounts =
                [
                    new Mount { Type = "bind", Source = entry.RunnerPath, Target = JobOutputFiles.RunnerInContainer, ReadOnly = true },
                    // A bind of a missing file is an error here (not a new folder, as Binds would make).
                    new Mount { Type = "bind", Source = entry.OutputFile, Target = JobOutputFiles.FileInContainer },
                ],
                ReadonlyRootfs = readOnlyRoot,
                // Scratch space in memory, sized by the memory cap it is charged to: scratch files do not grow the
                // writable layer on the host's disk, and vanish with the container.
                Tmpfs = Scratch(limits.MemoryBytes, readOnlyRoot),
                // The engine's log holds only what the runner says when it cannot start: a line, kept small.
                LogConfig = new LogConfig
                {
                    Type = "json-file",
                    Config = new Dictionary<string, string> { ["max-size"] = "64k", ["max-file"] = "1" },
                },
                DeviceRequests = limits.Gpus.IsEmpty
                    ? null
                    : [new DeviceRequest { Driver = "nvidia", DeviceIDs = [.. limits.Gpus], Capabilities = [["gpu"]] }],
            },
        };
        if (launch.Spec.MaxDurationSeconds is { } maxDuration)
        {
            parameters.Labels[ContainerLabels.MaxDurationSeconds] = maxDuration.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (entry.WorkDirectory is { } work)
        {
            parameters.HostConfig.Mounts.Add(new Mount { Type = "bind", Source = work, Target = WorkInContainer });
        }

        if (launch.Spec.Kind == JobKind.Ssh)
        {
            AddSsh(parameters, launch, ssh ?? SshHostOptions.Loopback);
        }

        return parameters;
    }

    private static Dictionary<string, string> Scratch(long memoryBytes, bool readOnlyRoot)
    {
        var shared = $"rw,nosuid,nodev,mode=1777,size={memoryBytes}";
        if (!readOnlyRoot)
        {
            // The writable layer takes the rest, uncapped: the operator chose that (JOB_READONLY_ROOTFS=false).
            return new Dictionary<string, string> { ["/tmp"] = shared };
        }

        // The engine adds noexec to a tmpfs unless told otherwise: the home keeps exec, as a home on the image's layer
        // had. /run is given to the job user outright, because the engine ignores a mode there (its own is 0755 root).
        var owned = $"rw,nosuid,nodev,uid={JobUid},gid={JobGid},size={memoryBytes}";
        return ScratchPaths.ToDictionary(
            path => path,
            path => path switch
            {
                JobHome => $"{owned},exec,mode=0700",
                "/run" => owned,
                _ => shared,
            },
            StringComparer.Ordinal);
    }

    private static void AddSsh(CreateContainerParameters parameters, JobLaunch launch, SshHostOptions ssh)
    {
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
