using Corral.Hosting;
using Corral.HostAgent.Logs;
using Corral.Jobs;

namespace Corral.HostAgent.Jobs;

/// <summary>What the agent knows of one job's container while it supervises it.</summary>
/// <remarks>Its phase moves only as <see cref="HostJobLifecycle"/> allows, and together with the outcome.</remarks>
public sealed class SupervisedJob
{
    private readonly Lock _gate = new();
    private (TerminationReason Reason, string Message)? _killedFor;
    private HostJobPhase _phase;
    private JobOutcome? _outcome;

    /// <summary>Begins supervising: Starting for a launch, Running for an adopted container.</summary>
    public SupervisedJob(string jobId, string worker, HostJobPhase phase = HostJobPhase.Starting, int attempt = 1)
    {
        if (!HostJobLifecycle.CanBegin(phase))
        {
            throw new ArgumentOutOfRangeException(nameof(phase), phase, "supervision begins starting or running");
        }

        JobId = jobId;
        Worker = worker;
        Attempt = attempt;
        _phase = phase;
    }

    public string JobId { get; }

    public string Worker { get; }

    /// <summary>Which attempt of the job this container runs (JobLaunch.Attempt, or the container's label).</summary>
    public int Attempt { get; }

    public string? ContainerId { get; set; }

    public HostJobPhase Phase
    {
        get
        {
            lock (_gate)
            {
                return _phase;
            }
        }
    }

    public LogQuotaMeter? Meter { get; set; }

    private long _egressBytes;

    /// <summary>Outbound bytes counted so far (set by the egress meter).</summary>
    public long EgressBytes
    {
        get => Interlocked.Read(ref _egressBytes);
        set => Interlocked.Exchange(ref _egressBytes, value);
    }

    private long _cpuTicks;

    /// <summary>CPU time used so far, in seconds, from the container's cgroup (set by the CPU usage monitor).</summary>
    public double CpuSeconds
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _cpuTicks)).TotalSeconds;
        set => Interlocked.Exchange(ref _cpuTicks, TimeSpan.FromSeconds(value).Ticks);
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

    public HostJobState State
    {
        get
        {
            lock (_gate)
            {
                return new HostJobState(_phase, _outcome, Attempt);
            }
        }
    }

    /// <summary>
    /// Moves to <paramref name="to"/> (with the outcome, for Exited) when the lifecycle allows it; otherwise
    /// changes nothing and returns false, with the phase it is in.
    /// </summary>
    public bool TryMove(HostJobPhase to, JobOutcome? outcome, out HostJobPhase from)
    {
        lock (_gate)
        {
            from = _phase;
            if (!HostJobLifecycle.CanMove(from, to))
            {
                return false;
            }

            _phase = to;
            // Every outcome names its attempt, so the job grain can tell an earlier attempt's container from this one.
            _outcome = outcome is null ? null : outcome with { Attempt = Attempt };
            return true;
        }
    }
}
