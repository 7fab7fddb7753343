using System.Collections;
using Corral.Configuration;
using Corral.Jobs;
using Corral.Resources;
using Corral.Workers;
using Xunit;

namespace Corral.Domain.Tests;

/// <summary>Issue 19, item 9: jobs' pids limits are counted against the worker's share, like CPU and memory.</summary>
public sealed class PidsPlacementTests
{
    private const string Image = "corral/busybox:latest";

    [Fact]
    public void ARequestAboveTheWorkersShare_NeverFits_AndSaysWhatTheWorkerAllows()
    {
        var worker = Worker(pids: 10_000);
        var fit = PlacementCheck.Check(worker, JobKind.Batch, Pids(4_194_304), Image);

        Assert.False(fit.Fits);
        Assert.Equal("pids: asks 4194304, worker 'w1' allows at most 10000 (short by 4184304)", fit.Shortfall);
        Assert.False(PlacementCheck.CouldEverFit(worker, JobKind.Batch, Pids(4_194_304), Image));
    }

    [Fact]
    public void EachPlacedJob_TakesItsPidsLimit_UntilTheShareIsSpent()
    {
        var worker = Worker(pids: 3000);
        var placed = 0;
        while (PlacementCheck.Check(worker, JobKind.Batch, ResourceRequest.None, Image) is { Fits: true } fit)
        {
            worker = worker.WithReservation($"job{placed++}", fit.Limits!);
        }

        // Two default jobs (1,024 pids each) fit in 3,000; the third waits, and could run on an empty worker.
        Assert.Equal(2, placed);
        Assert.Equal(2048, worker.AllocatedPids);
        var third = PlacementCheck.Check(worker, JobKind.Batch, ResourceRequest.None, Image);
        Assert.Equal("pids: asks 1024, 952 free on 'w1'", third.Shortfall);
        Assert.True(PlacementCheck.CouldEverFit(worker, JobKind.Batch, ResourceRequest.None, Image));
        Assert.True(PlacementCheck.Check(worker, JobKind.Batch, Pids(952), Image).Fits);
    }

    [Fact]
    public void AWorkerWhosePidsWereNotProbed_CountsNone()
    {
        var fit = PlacementCheck.Check(Worker(pids: 0), JobKind.Batch, Pids(4_194_304), Image);
        Assert.True(fit.Fits, fit.Shortfall);
    }

    [Theory]
    [InlineData(new[] { "4194304\n", "192735\n", "max\n", null }, 192735L)]
    [InlineData(new[] { "32768\n", "192735\n", "5000\n" }, 5000L)]
    [InlineData(new[] { "max", null, "", "-1", "junk" }, null)]
    public void TheMachineLimit_IsTheSmallestReadable(string?[] texts, long? expected) =>
        Assert.Equal(expected, PidsBudget.MachineLimit(texts));

    [Theory]
    [InlineData(32768L, null, 32768L - 3276L)] // a tenth
    [InlineData(4194304L, null, 4194304L - 419430L)]
    [InlineData(5000L, null, 5000L - 1024L)] // at least 1,024
    [InlineData(1500L, null, 750L)] // never more than half
    [InlineData(32768L, "0", 32768L)]
    [InlineData(32768L, "768", 32000L)]
    public void TheJobsShare_IsTheLimitLessTheReserve(long machine, string? reserve, long expected)
    {
        var settings = new SettingsReader(reserve is null ? new Hashtable() : new Hashtable { [PidsBudget.ReserveVariable] = reserve });
        Assert.Equal(expected, PidsBudget.ForJobs(machine, settings));
    }

    [Theory]
    [InlineData("32768")]
    [InlineData("40000")]
    [InlineData("-1")]
    [InlineData("lots")]
    public void AReserveThatLeavesJobsNothing_OrIsNotANumber_StopsTheAgentNamingIt(string reserve)
    {
        var settings = new SettingsReader(new Hashtable { [PidsBudget.ReserveVariable] = reserve });
        var error = Assert.Throws<InvalidSettingException>(() => PidsBudget.ForJobs(32768, settings));
        Assert.Equal(PidsBudget.ReserveVariable, error.Variable);
    }

    private static ResourceRequest Pids(int pids) => ResourceRequest.None with { Pids = pids };

    private static WorkerView Worker(long pids) => new(
        "w1", new WorkerCapacity(64, 256L << 30, [], pids), SshCaps.Uncapped,
        0, 0, [], [], true, DateTimeOffset.UnixEpoch, [Image], "127.0.0.1");
}
