using Corral.Hosting;
using Corral.HostAgent.Logs;
using Corral.Jobs;

namespace Corral.HostAgent.Jobs;

/// <summary>What the agent knows of one job's container while it supervises it.</summary>
public sealed class SupervisedJob(string jobId, string worker)
{
    private readonly Lock _gate = new();
    private (TerminationReason Reason, string Message)? _killedFor;

    public string JobId { get; } = jobId;

    public string Worker { get; } = worker;

    public string? ContainerId { get; set; }

    public HostJobPhase Phase { get; set; } = HostJobPhase.Starting;

    public JobOutcome? Outcome { get; set; }

    public LogQuotaMeter? Meter { get; set; }

    private long _egressBytes;

    /// <summary>Outbound bytes counted so far (set by the egress meter).</summary>
    public long EgressBytes
    {
        get => Interlocked.Read(ref _egressBytes);
        set => Interlocked.Exchange(ref _egressBytes, value);
    }

    /// <summary>Why the agent killed the container, if it did. The first reason wins.</summary>
    public (TerminationReason Reason, string Message)? KilledFor
    {
        get
        {
            lock (_gate)
            {
                return _killedFor;
            }
        }
    }

    /// <summary>Records a kill reason; false when another reason was recorded first.</summary>
    public bool TryMarkKilled(TerminationReason reason, string message)
    {
        lock (_gate)
        {
            if (_killedFor is not null)
            {
                return false;
            }

            _killedFor = (reason, message);
            return true;
        }
    }

    public HostJobState State => new(Phase, Outcome);
}
