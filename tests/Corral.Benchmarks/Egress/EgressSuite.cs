using System.Diagnostics;
using System.Globalization;
using System.Net;
using Corral.HostAgent;
using Corral.HostAgent.Containers;
using Corral.HostAgent.Egress;
using Corral.HostAgent.Jobs;
using Corral.Tests.Egress;
using Corral.Workers;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace Corral.Benchmarks.Egress;

/// <summary>
/// Suite "egress": what leaves past the quota, and what a counter poll costs. Measured on this machine, with real
/// containers sending through FORWARD to an external test host in a network namespace.
/// <list type="bullet">
/// <item><c>egress.overshoot_bytes</c>: payload the test host received past a 2 MB quota from a job sending at a
/// fixed rate, with the egress meter as the host agent runs it (kernel quota, one-second poll).</item>
/// <item><c>egress.poll10s_overshoot_bytes</c>: the same with a poll-only meter at the seed's 10-second interval
/// (count, and kill the container once the count is over the quota).</item>
/// <item><c>egress.poll_cpu_ms_100_jobs</c>: CPU time (this process and the iptables it runs) of one counter poll
/// with 100 job chains, averaged over several polls.</item>
/// </list>
/// </summary>
public static class EgressSuite
{
    private const long Quota = 2_000_000;
    private const int Polls = 40;
    private const int Jobs = 100;

    // About 1 MiB/s: 32 KiB every 31 ms, whatever the link could carry.
    private const string SenderLoop = "while :; do head -c 32768 /dev/zero; usleep 31250; done";

    public static async Task RunAsync(TextWriter output)
    {
        var docker = ContainerRuntime.Connect(new Uri("unix:///var/run/docker.sock"));
        var runtime = new ContainerRuntime(docker);
        var iptables = new IptablesCli();
        await EgressCheck.EnsureAvailableAsync(iptables, CancellationToken.None);
        var firewall = new EgressFirewall(iptables, new HostLock(), NullLogger<EgressFirewall>.Instance);

        await using var testHost = await ExternalTestHost.CreateAsync();
        var (kernel, kernelRate) = await KernelQuotaAsync(runtime, firewall, testHost);
        var (poll, pollRate) = await PollOnlyAsync(runtime, firewall, testHost, TimeSpan.FromSeconds(10));
        var (cpu100, cpu1) = (await PollCpuAsync(firewall, Jobs), await PollCpuAsync(firewall, 1));

        Write(output, "egress.quota_bytes", Quota);
        Write(output, "egress.send_rate_bytes_per_s", (kernelRate + pollRate) / 2);
        Write(output, "egress.overshoot_bytes", Math.Max(0, kernel - Quota));
        Write(output, "egress.poll10s_overshoot_bytes", Math.Max(0, poll - Quota));
        Write(output, "egress.poll_cpu_ms_100_jobs", cpu100);
        Write(output, "egress.poll_cpu_ms_1_job", cpu1);
    }

    /// <summary>The egress meter as the host agent runs it; returns the payload received and the send rate.</summary>
    private static async Task<(long Received, double Rate)> KernelQuotaAsync(ContainerRuntime runtime, EgressFirewall firewall, ExternalTestHost testHost)
    {
        var settings = new HostAgentSettings(
            "egress-bench", "127.0.0.1", new Uri("unix:///var/run/docker.sock"), 0, Quota,
            [.. HostAgentSettings.DefaultExcludedCidrs.Split(',').Select(c => IPNetwork.Parse(c))],
            SshCaps.Uncapped, false, null);
        using var meter = new EgressMeter(runtime, firewall, settings, EgressOptions.Default, NullLogger<EgressMeter>.Instance);
        await meter.StartAsync(CancellationToken.None);
        try
        {
            using var sink = testHost.Listen(9100);
            var jobId = Guid.NewGuid().ToString("N");
            var containerId = await runtime.CreateAsync(Sender(jobId, testHost.MeteredV4, 9100), CancellationToken.None);
            var job = new SupervisedJob(jobId, "egress-bench") { ContainerId = containerId };
            var watch = await meter.AttachAsync(
                new JobMonitorContext(job, (_, _) => runtime.KillAsync(containerId)), CancellationToken.None);
            var started = Stopwatch.StartNew();
            await runtime.StartAsync(containerId, CancellationToken.None);
            await runtime.WaitAsync(containerId, CancellationToken.None);
            await watch.DisposeAsync();
            await runtime.RemoveAsync(containerId);
            return (sink.Received, sink.Received / started.Elapsed.TotalSeconds);
        }
        finally
        {
            await meter.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>A meter that only counts and polls (no kernel quota): the container is killed at the first poll over the quota.</summary>
    private static async Task<(long Received, double Rate)> PollOnlyAsync(
        ContainerRuntime runtime, EgressFirewall firewall, ExternalTestHost testHost, TimeSpan interval)
    {
        using var sink = testHost.Listen(9101);
        var jobId = Guid.NewGuid().ToString("N");
        var chain = EgressChainName.ForJob(jobId);
        var containerId = await runtime.CreateAsync(Sender(jobId, testHost.MeteredV4, 9101), CancellationToken.None);
        try
        {
            await firewall.AttachAsync(
                IpFamily.V4, chain, JobMacAddress.For(jobId), jobId, EgressRules.JobChain(IpFamily.V4, EgressChainName.GuardFor(chain), [], 0, 0), [], CancellationToken.None);
            var started = Stopwatch.StartNew();
            await runtime.StartAsync(containerId, CancellationToken.None);
            using var timer = new PeriodicTimer(interval);
            while (await timer.WaitForNextTickAsync())
            {
                var listing = await firewall.ListAsync(IpFamily.V4, CancellationToken.None);
                if (EgressReading.From(listing[chain]).SentBytes >= Quota)
                {
                    await runtime.KillAsync(containerId);
                    break;
                }
            }

            await runtime.WaitAsync(containerId, CancellationToken.None);
            var elapsed = started.Elapsed.TotalSeconds;
            await Task.Delay(500);
            return (sink.Received, sink.Received / elapsed);
        }
        finally
        {
            await runtime.RemoveAsync(containerId);
            await firewall.DetachAsync(IpFamily.V4, chain, CancellationToken.None);
        }
    }

    /// <summary>
    /// CPU milliseconds of one poll as the meter does it (a listing per family, parsed, a reading per job), with this
    /// many job chains in both families. The jumps match MAC addresses no interface has, so they touch no traffic.
    /// </summary>
    private static async Task<double> PollCpuAsync(EgressFirewall firewall, int jobs)
    {
        var chains = Enumerable.Range(0, jobs).Select(i => (Id: $"{i:x8}{Guid.NewGuid():N}"[..32], Mac: $"0a:00:00:00:{i / 256:x2}:{i % 256:x2}")).ToList();
        try
        {
            foreach (var (id, mac) in chains)
            {
                foreach (var family in IpFamilies.All)
                {
                    var chain = EgressChainName.ForJob(id);
                    await firewall.AttachAsync(
                        family, chain, mac, id, EgressRules.JobChain(family, EgressChainName.GuardFor(chain), [], Quota, Quota), [], CancellationToken.None);
                }
            }

            await PollAsync(firewall, chains.Select(c => EgressChainName.ForJob(c.Id)).ToList());
            var before = CpuTime();
            for (var i = 0; i < Polls; i++)
            {
                await PollAsync(firewall, chains.Select(c => EgressChainName.ForJob(c.Id)).ToList());
            }

            return (CpuTime() - before).TotalMilliseconds / Polls;
        }
        finally
        {
            foreach (var (id, _) in chains)
            {
                foreach (var family in IpFamilies.All)
                {
                    await firewall.DetachAsync(family, EgressChainName.ForJob(id), CancellationToken.None);
                }
            }
        }
    }

    private static async Task PollAsync(EgressFirewall firewall, IReadOnlyList<string> chains)
    {
        long sum = 0;
        foreach (var family in IpFamilies.All)
        {
            var listing = await firewall.ListAsync(family, CancellationToken.None);
            await firewall.EnsureHookAsync(family, listing, CancellationToken.None);
            sum += chains.Sum(c => EgressReading.From(listing[c]).SentBytes);
        }

        GC.KeepAlive(sum);
    }

    /// <summary>This process's CPU time plus that of its exited children (the iptables commands), from /proc.</summary>
    private static TimeSpan CpuTime()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // Fields 16 and 17 (cutime, cstime) in clock ticks; the split starts at field 3.
        var children = (long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture)) * 10;
        return Process.GetCurrentProcess().TotalProcessorTime + TimeSpan.FromMilliseconds(children);
    }

    private static CreateContainerParameters Sender(string jobId, IPAddress target, int port) => new()
    {
        Name = $"corral-egress-bench-{jobId[..12]}",
        Image = "corral/busybox:latest",
        Cmd = ["sh", "-c", $"{SenderLoop} | nc {target} {port}"],
        User = ContainerSpecBuilder.JobUser,
        MacAddress = JobMacAddress.For(jobId),
        HostConfig = new HostConfig { NetworkMode = "bridge", CapDrop = ["ALL"], SecurityOpt = ["no-new-privileges"] },
    };

    private static void Write(TextWriter output, string name, double value) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name} {Math.Round(value, 2)}"));
}
