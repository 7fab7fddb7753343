using System.Net;
using System.Text.RegularExpressions;
using Corral.Configuration;
using Corral.HostAgent.Egress;
using Corral.HostAgent.Hardware;
using Corral.Images;
using Corral.Resources;
using Corral.Workers;

namespace Corral.HostAgent;

/// <summary>
/// Everything a host agent reads at start (DESIGN.md, "Configuration"). Every value is validated here, so a
/// bad setting stops the agent before it joins the cluster, with the variable's name in the message.
/// </summary>
public sealed partial record HostAgentSettings(
    string WorkerName,
    string PublicAddress,
    Uri DockerEndpoint,
    long LogQuotaPerJobHour,
    long DataTransferQuotaPerJob,
    IReadOnlyList<IPNetwork> DataTransferExcludedCidrs,
    SshCaps SshCaps,
    bool EnableSshGpuLimit,
    string? InjectedGpus,
    bool? SshUseLxcfs = null,
    string JobOutputDirectory = HostAgentSettings.DefaultJobOutputDirectory,
    string? JobCgroupParent = null,
    long JobWorkMaxBytes = HostAgentSettings.DefaultJobWorkMaxBytes,
    string? JobWorkDirectorySetting = null,
    JobImageAllowList? JobImagesSetting = null,
    bool JobReadOnlyRootfs = true,
    long? JobOutputMaxBytesPerHourSetting = null,
    IReadOnlyList<IPNetwork>? JobAllowedCidrs = null,
    IReadOnlyList<IPAddress>? JobDnsServers = null,
    long JobOutputMinFreeBytes = HostAgentSettings.DefaultJobOutputMinFreeBytes)
{
    /// <summary>What a job's traffic may reach (JOB_ALLOWED_CIDRS, JOB_DNS_SERVERS), with the excluded ranges.</summary>
    public JobNetworkPolicy NetworkPolicy => new(DataTransferExcludedCidrs, JobAllowedCidrs ?? [], JobDnsServers ?? []);

    /// <summary>
    /// The raw bytes (escape sequences too) a job may write to its output file in one hour (JOB_OUTPUT_MAX_BYTES_PER_HOUR):
    /// by default four times the log quota, 0 (no bound) when the log quota is 0.
    /// </summary>
    public long JobOutputMaxBytesPerHour => JobOutputMaxBytesPerHourSetting ?? DefaultOutputMaxBytesPerHour(LogQuotaPerJobHour);

    /// <summary>How many times the log quota the raw output of an hour may be, by default.</summary>
    public const int DefaultOutputBoundPerLogQuota = 4;

    public static long DefaultOutputMaxBytesPerHour(long logQuotaPerJobHour) => logQuotaPerJobHour * DefaultOutputBoundPerLogQuota;

    /// <summary>The images this host runs (JOB_IMAGES, read by the agent too); by default the platform's own.</summary>
    public JobImageAllowList JobImages => JobImagesSetting ?? JobImageAllowList.Parse(JobImageAllowList.Default);

    /// <summary>The size cap of a job's working directory (JOB_WORK_MAX_BYTES): 10 GiB.</summary>
    public const long DefaultJobWorkMaxBytes = 10L << 30;

    /// <summary>
    /// Where jobs' working directories live on this host, one folder per job (JOB_WORK_DIR; by default
    /// <c>JOB_OUTPUT_DIR/&lt;worker&gt;/work</c>, beside the jobs' output files).
    /// </summary>
    public string JobWorkDirectory => JobWorkDirectorySetting ?? Path.Combine(JobOutputDirectory, WorkerName, "work");

    public const long DefaultLogQuotaPerJobHour = 52_428_800;

    /// <summary>
    /// The free space JOB_OUTPUT_DIR's file system must keep for jobs to start and go on (JOB_OUTPUT_MIN_FREE_BYTES):
    /// 16 MiB, a few seconds of a fast writer's output.
    /// </summary>
    public const long DefaultJobOutputMinFreeBytes = 16L << 20;

    /// <summary>Where job output files live on the host (<see cref="Logs.JobOutputFiles"/>), one folder per worker name.</summary>
    public const string DefaultJobOutputDirectory = "/var/lib/corral/job-output";

    public const string DefaultExcludedCidrs = "10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,169.254.0.0/16,fc00::/7,fe80::/10";

    public static HostAgentSettings Read(SettingsReader settings) => Validated(new(
        settings.GetString("CORRAL_WORKER_NAME", Environment.MachineName.ToLowerInvariant()),
        settings.GetString("CORRAL_WORKER_ADDRESS", "127.0.0.1"),
        new Uri(settings.GetString("DOCKER_HOST", "unix:///var/run/docker.sock")),
        settings.GetLong("LOG_QUOTA_PER_JOB_HOUR", DefaultLogQuotaPerJobHour, 0),
        settings.GetLong("DATA_TRANSFER_QUOTA_PER_JOB", 0, 0),
        ParseCidrs("DATA_TRANSFER_EXCLUDED_CIDRS", settings.GetString("DATA_TRANSFER_EXCLUDED_CIDRS", DefaultExcludedCidrs)),
        new SshCaps(
            // Below Docker's smallest CPU cap a session could not be capped at all, so every one would be refused.
            settings.GetDouble("SSH_MAX_CPU", ContainerCaps.MinCpu),
            settings.GetByteSize("SSH_MAX_MEMORY"),
            settings.GetString("SSH_MAX_PIDS") is null ? null : settings.GetInt("SSH_MAX_PIDS", 0, 1)),
        settings.GetBool("ENABLE_SSH_GPU_LIMIT", false),
        ReadInjectedGpus(settings),
        // Unset or "auto": lxcfs for SSH sessions whenever it runs on this host.
        settings.GetString("SSH_USE_LXCFS")?.Trim().ToLowerInvariant() is null or "auto" ? null : settings.GetBool("SSH_USE_LXCFS", false),
        ReadJobOutputDirectory(settings),
        ReadJobCgroupParent(settings),
        settings.GetByteSize("JOB_WORK_MAX_BYTES") ?? DefaultJobWorkMaxBytes,
        ReadAbsolutePath(settings, "JOB_WORK_DIR"),
        JobImageAllowList.Read(settings),
        settings.GetBool("JOB_READONLY_ROOTFS", true),
        // "0" turns the bound off, which a size setting refuses.
        settings.GetString("JOB_OUTPUT_MAX_BYTES_PER_HOUR")?.Trim() == "0" ? 0 : settings.GetByteSize("JOB_OUTPUT_MAX_BYTES_PER_HOUR"),
        ParseCidrs("JOB_ALLOWED_CIDRS", settings.GetString("JOB_ALLOWED_CIDRS", string.Empty)),
        ReadDnsServers(settings),
        settings.GetByteSize("JOB_OUTPUT_MIN_FREE_BYTES") ?? DefaultJobOutputMinFreeBytes));

    private static HostAgentSettings Validated(HostAgentSettings read)
    {
        // Stripped output is never longer than raw output: a bound below the log quota would end jobs the quota allows.
        if (read.JobOutputMaxBytesPerHour > 0 && read.LogQuotaPerJobHour > 0 && read.JobOutputMaxBytesPerHour < read.LogQuotaPerJobHour)
        {
            throw new InvalidSettingException(
                "JOB_OUTPUT_MAX_BYTES_PER_HOUR",
                read.JobOutputMaxBytesPerHour.ToString(System.Globalization.CultureInfo.InvariantCulture),
                $"it must be 0 (no bound) or at least LOG_QUOTA_PER_JOB_HOUR ({read.LogQuotaPerJobHour}): escape sequences count here and not there");
        }

        return read;
    }

    /// <summary>
    /// The resolvers a job may send DNS to: JOB_DNS_SERVERS, or by default the ones Docker hands containers on its
    /// default bridge (<see cref="DockerResolvers"/>).
    /// </summary>
    private static List<IPAddress> ReadDnsServers(SettingsReader settings)
    {
        var raw = settings.GetString("JOB_DNS_SERVERS");
        if (raw is null)
        {
            return [.. DockerResolvers.Read()];
        }

        if (raw.Trim().Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }

        var servers = new List<IPAddress>();
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            servers.Add(IPAddress.TryParse(part, out var address)
                ? address
                : throw new InvalidSettingException("JOB_DNS_SERVERS", raw, $"'{part}' is not an IP address such as 10.0.0.2"));
        }

        return servers;
    }

    private static string? ReadAbsolutePath(SettingsReader settings, string name)
    {
        var directory = settings.GetString(name);
        // The engine mounts it by path, so the path must mean the same to the engine as to the agent.
        return directory is null || Path.IsPathFullyQualified(directory)
            ? directory
            : throw new InvalidSettingException(name, directory, "it must be an absolute path");
    }

    /// <summary>
    /// The cgroup the engine puts job and SSH containers under (Docker's cgroup parent), so an operator can weigh all
    /// jobs together against the control plane. Unset: the engine's default (/docker), where every container gets
    /// the same weight as any other process group.
    /// </summary>
    private static string? ReadJobCgroupParent(SettingsReader settings)
    {
        var parent = settings.GetString("CORRAL_JOB_CGROUP_PARENT");
        // A path for the engine's cgroupfs driver, a slice for its systemd driver; anything else the engine would
        // refuse at each job's create, or put somewhere unexpected.
        return parent is null || AbsoluteCgroupPath().IsMatch(parent) || SystemdSlice().IsMatch(parent)
            ? parent
            : throw new InvalidSettingException("CORRAL_JOB_CGROUP_PARENT", parent,
                "it must be an absolute cgroup path such as /corral-jobs (Docker's cgroupfs driver) or a systemd slice such as corral-jobs.slice (its systemd driver)");
    }

    [GeneratedRegex(@"^(/(?!\.{1,2}(/|$))[A-Za-z0-9_.@:-]+)+$")]
    private static partial Regex AbsoluteCgroupPath();

    [GeneratedRegex(@"^[A-Za-z0-9_:][A-Za-z0-9_.:-]*\.slice$")]
    private static partial Regex SystemdSlice();

    private static string ReadJobOutputDirectory(SettingsReader settings)
    {
        var directory = settings.GetString("JOB_OUTPUT_DIR", DefaultJobOutputDirectory);
        // The engine mounts files from here by path, so the path must mean the same to the engine as to the agent.
        return Path.IsPathFullyQualified(directory)
            ? directory
            : throw new InvalidSettingException("JOB_OUTPUT_DIR", directory, "it must be an absolute path");
    }

    /// <summary>The injected device list, checked here so a typo stops the agent naming the variable.</summary>
    private static string? ReadInjectedGpus(SettingsReader settings)
    {
        var raw = settings.GetString("CORRAL_GPU_DEVICES");
        if (raw is not null)
        {
            try
            {
                NvidiaSmiParser.Parse(raw.Replace(';', '\n'));
            }
            catch (FormatException error)
            {
                throw new InvalidSettingException("CORRAL_GPU_DEVICES", raw, error.Message.TrimEnd('.'));
            }
        }

        return raw;
    }

    private static List<IPNetwork> ParseCidrs(string name, string raw)
    {
        var networks = new List<IPNetwork>();
        foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(part, out var network))
            {
                throw new InvalidSettingException(name, raw, $"'{part}' is not a CIDR such as 10.0.0.0/8");
            }

            networks.Add(network);
        }

        return networks;
    }
}
