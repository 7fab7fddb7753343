using Corral.HostAgent.Jobs;

namespace Corral.HostAgent.Egress;

/// <summary>A job the egress meter watches: its chain, its container's MAC, and what the counters said last.</summary>
public sealed class MeteredJob(JobMonitorContext context, string chain, string macAddress)
{
    public JobMonitorContext Context { get; } = context;

    public string JobId => Context.Job.JobId;

    /// <summary>The job's chain, the same name in both families.</summary>
    public string Chain { get; } = chain;

    /// <summary>The container's MAC address, which the jump to the chain matches.</summary>
    public string MacAddress { get; } = macAddress;

    /// <summary>True once the running container was seen to have <see cref="MacAddress"/>.</summary>
    public bool MacConfirmed { get; set; }

    /// <summary>Bytes counted by chains that have since vanished (flushed by someone); the count goes on from there.</summary>
    public long CarriedBytes { get; set; }

    /// <summary>The last reading per family.</summary>
    public Dictionary<IpFamily, EgressReading> Last { get; } = [];

    /// <summary>True once the meter has asked for the job to be ended.</summary>
    public bool Ended { get; set; }
}
