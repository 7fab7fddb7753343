using System.Collections.Concurrent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Docker.DotNet;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Corral.HostAgent.Egress;

/// <summary>
/// Meters each job container's outbound bytes with a chain of its own in iptables and ip6tables, and enforces
/// DATA_TRANSFER_QUOTA_PER_JOB. The kernel drops the job's traffic once its quota is spent (a quota match, then a
/// DROP), so what leaves past the quota does not depend on this process; the poll here only reads the counters every
/// second, reports them as <c>egressBytes</c>, and ends a job that went over. The rules match the container's MAC
/// address, which is fixed before the container starts (<see cref="JobMacAddress"/>), so they are in place before
/// its first packet and touch no other traffic.
/// </summary>
/// <remarks>
/// Chains outlive the agent: a stopped or crashed agent leaves them (and the kernel keeps enforcing), and the next
/// run re-attaches the chains of the containers it adopts, so a restart never resets a count. Only chains whose
/// container is gone are removed at start.
/// </remarks>
public sealed partial class EgressMeter(
    ContainerRuntime runtime,
    EgressFirewall firewall,
    HostAgentSettings settings,
    EgressOptions options,
    ILogger<EgressMeter> logger) : BackgroundService, IJobMonitor
{
    private readonly ConcurrentDictionary<string, MeteredJob> _jobs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _reading = new(1, 1);

    private long Quota => settings.DataTransferQuotaPerJob;

    /// <summary>
    /// How far a family's kernel allowance may run ahead of what the job has left in all before it is re-armed
    /// (a few re-arms over a job's life instead of one per poll).
    /// </summary>
    private long RearmSlack => Math.Max(Quota / 32, 64 * 1024);

    /// <summary>
    /// Hooks the entry chain in and removes the chains of jobs whose containers are gone. This runs before the
    /// supervisor adopts containers, since hosted services start in order and this one is registered first.
    /// </summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var removed = await firewall.PrepareAsync(
            async ct => (await runtime.ListJobContainersAsync(ct)).Select(c => c.JobId), JobMacAddress.For, cancellationToken);
        foreach (var (family, chain) in removed)
        {
            LogRemovedStale(family.Command(), chain);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>The chains match the job's MAC address, which is known before its container exists.</summary>
    bool IJobMonitor.StartsBeforeCreate => true;

    Task<IAsyncDisposable> IJobMonitor.StartAsync(JobMonitorContext context, CancellationToken cancellationToken) =>
        AttachAsync(context, cancellationToken);

    /// <summary>
    /// Starts metering a job's container before it starts: its chains, and the jumps that match its MAC address, are
    /// in place before its first packet. For a container adopted after a restart, the chains an earlier run of the
    /// agent left are kept with their counts. A job that cannot be metered is ended, never left to run unmetered.
    /// </summary>
    public async Task<IAsyncDisposable> AttachAsync(JobMonitorContext context, CancellationToken cancellationToken)
    {
        var jobId = context.Job.JobId;
        var job = new MeteredJob(context, EgressChainName.ForJob(jobId), JobMacAddress.For(jobId));
        try
        {
            foreach (var family in IpFamilies.All)
            {
                await firewall.AttachAsync(family, job.Chain, job.MacAddress, jobId, ChainRules(family, job, Quota), GuardRules(family), cancellationToken);
            }

            _jobs[jobId] = job;
            LogAttached(jobId, job.Chain, job.MacAddress);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogAttachFailed(jobId, error.Message);
            await context.KillAsync(TerminationReason.ContainerError, $"could not meter the container's network traffic: {error.Message}");
        }

        return new Detacher(this, job);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var jobs = _jobs.Values.ToList();
            if (jobs.Count == 0)
            {
                continue;
            }

            try
            {
                await ReadAsync(jobs, final: false, stoppingToken);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                LogPollFailed(error.Message);
            }
        }
    }

    /// <summary>
    /// One poll: one listing per family for all jobs, each job's figure updated, a job over its quota ended, and
    /// anything that moved the rules (a flushed chain, a lost jump, a shadowed hook) put back.
    /// </summary>
    private async Task ReadAsync(IReadOnlyCollection<MeteredJob> jobs, bool final, CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            foreach (var family in IpFamilies.All)
            {
                var listing = await firewall.ListAsync(family, cancellationToken);
                if (!final)
                {
                    await firewall.EnsureHookAsync(family, listing, cancellationToken);
                }

                foreach (var job in jobs)
                {
                    await ReadJobAsync(job, family, listing, final, cancellationToken);
                }
            }

            foreach (var job in jobs)
            {
                if (!final && !job.MacConfirmed)
                {
                    await ConfirmMacAsync(job, cancellationToken);
                }

                await SettleAsync(job, final, cancellationToken);
            }
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task ReadJobAsync(
        MeteredJob job, IpFamily family, IReadOnlyDictionary<string, IptablesChain> listing, bool final, CancellationToken cancellationToken)
    {
        if (listing.TryGetValue(job.Chain, out var chain))
        {
            job.Last[family] = EgressReading.From(chain);
            if (!final && chain.References == 0)
            {
                LogJumpRestored(job.JobId, family.Command());
                await firewall.AttachAsync(family, job.Chain, job.MacAddress, job.JobId, [], [], cancellationToken);
            }

            return;
        }

        if (final)
        {
            return;
        }

        // Someone removed the job's chain: keep what it had counted, and count on from there in a new one.
        LogChainRecreated(job.JobId, family.Command());
        job.CarriedBytes += job.Last.Remove(family, out var lost) ? lost.SentBytes : 0;
        await firewall.AttachAsync(
            family, job.Chain, job.MacAddress, job.JobId, ChainRules(family, job, Quota - Sent(job)), GuardRules(family), cancellationToken);
    }

    /// <summary>
    /// Checks once that the running container really has the MAC address its jumps match: an engine that ignored it
    /// would leave the job unmetered, so such a job is ended.
    /// </summary>
    private async Task ConfirmMacAsync(MeteredJob job, CancellationToken cancellationToken)
    {
        BridgeEndpoint? endpoint;
        try
        {
            endpoint = await runtime.GetBridgeEndpointAsync(job.Context.ContainerId, cancellationToken);
        }
        catch (DockerContainerNotFoundException)
        {
            job.MacConfirmed = true;
            return;
        }

        if (endpoint is null)
        {
            return;
        }

        job.MacConfirmed = true;
        if (!string.Equals(endpoint.MacAddress, job.MacAddress, StringComparison.OrdinalIgnoreCase) && !job.Ended)
        {
            job.Ended = true;
            LogWrongMac(job.JobId, endpoint.MacAddress, job.MacAddress);
            await job.Context.KillAsync(
                TerminationReason.ContainerError,
                $"its container has MAC address {endpoint.MacAddress}, not {job.MacAddress} that its egress rules match");
        }
    }

    private async Task SettleAsync(MeteredJob job, bool final, CancellationToken cancellationToken)
    {
        var sent = Sent(job);
        job.Context.Job.EgressBytes = sent;
        if (Quota <= 0 || final || job.Ended)
        {
            return;
        }

        var attempted = job.CarriedBytes + job.Last.Values.Sum(r => r.AttemptedBytes);
        if (attempted > Quota || job.Last.Values.Any(r => r.DroppedPackets > 0))
        {
            job.Ended = true;
            LogOverQuota(job.JobId, sent, Quota);
            await job.Context.KillAsync(
                TerminationReason.DataTransferQuotaExceeded,
                $"tried to send more than {Quota} bytes outside DATA_TRANSFER_EXCLUDED_CIDRS (DATA_TRANSFER_QUOTA_PER_JOB); the kernel stopped it at the quota");
            return;
        }

        // iptables and ip6tables keep separate quota matches, so each family's is brought down to what the job has
        // left in all: a job cannot spend its quota once over IPv4 and again over IPv6.
        var remaining = Quota - sent;
        foreach (var (family, reading) in job.Last)
        {
            if (reading.AllowanceLeft is { } left && left > remaining + RearmSlack)
            {
                await firewall.RearmAsync(family, job.Chain, reading.AllowanceRuleNumber, remaining, cancellationToken);
            }
        }
    }

    private IReadOnlyList<string[]> ChainRules(IpFamily family, MeteredJob job, long allowance) =>
        EgressRules.JobChain(family, EgressChainName.GuardFor(job.Chain), settings.DataTransferExcludedCidrs, Quota, allowance);

    private IReadOnlyList<string[]> GuardRules(IpFamily family) => EgressRules.GuardChain(family, settings.NetworkPolicy);

    private static long Sent(MeteredJob job) => job.CarriedBytes + job.Last.Values.Sum(r => r.SentBytes);

    private async Task DetachAsync(MeteredJob job)
    {
        _jobs.TryRemove(new KeyValuePair<string, MeteredJob>(job.JobId, job));
        try
        {
            // The container has exited: one last reading makes the job's final figure exact.
            await ReadAsync([job], final: true, CancellationToken.None);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            LogPollFailed(error.Message);
        }

        foreach (var family in IpFamilies.All)
        {
            try
            {
                await firewall.DetachAsync(family, job.Chain, CancellationToken.None);
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                // Left for the next start of the agent, which removes chains whose container is gone.
                LogDetachFailed(job.JobId, family.Command(), error.Message);
            }
        }
    }

    private sealed class Detacher(EgressMeter meter, MeteredJob job) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await meter.DetachAsync(job);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed egress chain {Chain} ({Command}): its job's container is gone")]
    private partial void LogRemovedStale(string command, string chain);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: metering egress in chain {Chain}, for MAC {Mac}")]
    private partial void LogAttached(string jobId, string chain, string mac);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its container has MAC {Actual}, not {Expected}; ending it")]
    private partial void LogWrongMac(string jobId, string actual, string expected);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: cannot meter its egress, ending it: {Error}")]
    private partial void LogAttachFailed(string jobId, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Egress poll failed (the kernel still enforces each quota): {Error}")]
    private partial void LogPollFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: egress quota spent ({Sent} of {Quota} bytes sent), ending it")]
    private partial void LogOverQuota(string jobId, long sent, long quota);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: its {Command} jump was gone; put back")]
    private partial void LogJumpRestored(string jobId, string command);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId}: its {Command} chain was removed from under it; made again, counting on")]
    private partial void LogChainRecreated(string jobId, string command);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: could not remove its {Command} chain: {Error}")]
    private partial void LogDetachFailed(string jobId, string command, string error);
}
