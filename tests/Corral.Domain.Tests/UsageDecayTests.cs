using Corral.Scheduling;
using Xunit;

namespace Corral.Domain.Tests;

/// <summary>Users' recent usage, halving every half-life, and the fair share it decides (issue 18).</summary>
public sealed class UsageDecayTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    [Theory]
    [InlineData(1000, 0, 1000)]
    [InlineData(1000, 3600, 500)]
    [InlineData(1000, 7200, 250)]
    [InlineData(1000, 1800, 707.1068)]
    [InlineData(1000, 36000, 0.9766)]
    // A clock that went back decays nothing.
    [InlineData(1000, -600, 1000)]
    public void At_HalvesEveryHalfLife(double value, double secondsLater, double expected) =>
        Assert.Equal(expected, UsageDecay.At(value, T0, T0.AddSeconds(secondsLater), Hour), 3);

    [Theory]
    [InlineData(1000, 3600, 100, 600)]
    [InlineData(0, 3600, 100, 100)]
    // A negative figure (a counter that went wrong) adds nothing.
    [InlineData(400, 0, -50, 400)]
    public void Add_DecaysThenCounts(double value, double secondsLater, double cpuSeconds, double expected) =>
        Assert.Equal(expected, UsageDecay.Add(value, T0, cpuSeconds, T0.AddSeconds(secondsLater), Hour), 3);

    [Fact]
    public void Fill_ByUsage_GivesEveryFreedSlotToTheLighterUser_WithinTheirQuota()
    {
        var holders = new Dictionary<string, List<string>> { ["heavy"] = ["h1"] };
        var (queues, turns) = Waiting(("heavy", "h2"), ("heavy", "h3"), ("light", "l1"), ("light", "l2"), ("light", "l3"));
        var usage = new Dictionary<string, double> { ["heavy"] = 5000 };

        var admitted = FairAdmission.Fill(4, 2, holders, queues, turns, u => usage.GetValueOrDefault(u));

        // Light goes first though heavy waited first; light's own quota of 2 then lets heavy have the last slot.
        Assert.Equal([("light", "l1"), ("light", "l2"), ("heavy", "h2")], admitted);
    }

    [Fact]
    public void Fill_RoundRobin_AlternatesWhateverTheUsage()
    {
        var holders = new Dictionary<string, List<string>>();
        var (queues, turns) = Waiting(("heavy", "h1"), ("heavy", "h2"), ("light", "l1"), ("light", "l2"));

        var admitted = FairAdmission.Fill(4, 5, holders, queues, turns, usage: null);

        Assert.Equal([("heavy", "h1"), ("light", "l1"), ("heavy", "h2"), ("light", "l2")], admitted);
    }

    [Fact]
    public void Fill_ByUsage_EqualUsage_FallsBackToFewestHeldThenTurn()
    {
        var holders = new Dictionary<string, List<string>> { ["a"] = ["a0"] };
        var (queues, turns) = Waiting(("a", "a1"), ("b", "b1"), ("c", "c1"));

        var admitted = FairAdmission.Fill(3, 5, holders, queues, turns, _ => 10);

        Assert.Equal([("b", "b1"), ("c", "c1")], admitted);
    }

    /// <summary>The jobs waiting in this order, and the users' turns in the order they first waited.</summary>
    private static (WaitingQueue Queue, List<string> Turns) Waiting(params (string User, string JobId)[] jobs)
    {
        var queue = new WaitingQueue();
        var turns = new List<string>();
        var seq = 0;
        foreach (var (user, jobId) in jobs)
        {
            FairAdmission.Wait(queue, turns, new WaitingJob(jobId, user, Corral.Jobs.JobPriority.Normal, seq++, T0));
        }

        return (queue, turns);
    }
}
