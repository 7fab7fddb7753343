using System.Net;
using Corral.HostAgent.Jobs;

namespace Corral.HostAgent.Egress;

/// <summary>A job the egress meter watches: its chain, the addresses that jump to it, and what it has seen.</summary>
public sealed class MeteredJob(JobMonitorContext context, string chain)
{
    public JobMonitorContext Context { get; } = context;

    public string JobId => Context.Job.JobId;

    /// <summary>The job's chain, the same name in both families.</summary>
    public string Chain { get; } = chain;

    /// <summary>The families the job has a chain in, with the container's address there (null when it has none).</summary>
    public Dictionary<IpFamily, IPAddress?> Families { get; } = [];

    /// <summary>Bytes counted by chains that have since vanished (flushed by someone); the count goes on from there.</summary>
    public long CarriedBytes { get; set; }

    /// <summary>The last reading per family.</summary>
    public Dictionary<IpFamily, EgressReading> Last { get; } = [];

    /// <summary>True once the meter has asked for the job to be ended.</summary>
    public bool OverQuota { get; set; }
}
