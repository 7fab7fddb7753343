using Corral.Hosting;
using Corral.HostAgent.Jobs;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>How a job's container moves through its phases on a host: every pair of phases, allowed or not.</summary>
public sealed class HostJobLifecycleTests
{
    [Theory]
    [InlineData(HostJobPhase.Starting, HostJobPhase.Running, true)]
    [InlineData(HostJobPhase.Starting, HostJobPhase.Exited, true)]
    [InlineData(HostJobPhase.Running, HostJobPhase.Exited, true)]
    [InlineData(HostJobPhase.Starting, HostJobPhase.Starting, false)]
    [InlineData(HostJobPhase.Starting, HostJobPhase.Unknown, false)]
    [InlineData(HostJobPhase.Running, HostJobPhase.Starting, false)]
    [InlineData(HostJobPhase.Running, HostJobPhase.Running, false)]
    [InlineData(HostJobPhase.Running, HostJobPhase.Unknown, false)]
    [InlineData(HostJobPhase.Exited, HostJobPhase.Starting, false)]
    [InlineData(HostJobPhase.Exited, HostJobPhase.Running, false)]
    [InlineData(HostJobPhase.Exited, HostJobPhase.Exited, false)]
    [InlineData(HostJobPhase.Exited, HostJobPhase.Unknown, false)]
    [InlineData(HostJobPhase.Unknown, HostJobPhase.Starting, false)]
    [InlineData(HostJobPhase.Unknown, HostJobPhase.Running, false)]
    [InlineData(HostJobPhase.Unknown, HostJobPhase.Exited, false)]
    [InlineData(HostJobPhase.Unknown, HostJobPhase.Unknown, false)]
    public void CanMove_FollowsTheTable(HostJobPhase from, HostJobPhase to, bool allowed) =>
        Assert.Equal(allowed, HostJobLifecycle.CanMove(from, to));

    [Theory]
    [InlineData(HostJobPhase.Starting, true)]
    [InlineData(HostJobPhase.Running, true)]
    [InlineData(HostJobPhase.Exited, false)]
    [InlineData(HostJobPhase.Unknown, false)]
    public void Supervision_BeginsStartingOrAdoptedRunning(HostJobPhase phase, bool allowed)
    {
        Assert.Equal(allowed, HostJobLifecycle.CanBegin(phase));
        if (allowed)
        {
            Assert.Equal(phase, new SupervisedJob("j", "w", phase).Phase);
        }
        else
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => new SupervisedJob("j", "w", phase));
        }
    }

    [Fact]
    public void SupervisedJob_ReportsItsOutcomeOnce_AndRefusesToGoBack()
    {
        var job = new SupervisedJob("j", "w");
        Assert.Equal(new HostJobState(HostJobPhase.Starting, null, 1), job.State);
        Assert.True(job.TryMove(HostJobPhase.Running, null, out _));

        var first = JobOutcome.FromExit(0, oomKilled: false);
        Assert.True(job.TryMove(HostJobPhase.Exited, first, out _));
        Assert.True(HostJobLifecycle.IsFinal(job.Phase));

        Assert.False(job.TryMove(HostJobPhase.Exited, JobOutcome.FromExit(1, oomKilled: false), out var from));
        Assert.Equal(HostJobPhase.Exited, from);
        Assert.False(job.TryMove(HostJobPhase.Running, null, out _));
        Assert.Equal(new HostJobState(HostJobPhase.Exited, first with { Attempt = 1 }, 1), job.State);
    }

    [Fact]
    public void SupervisedJob_OfALaterAttempt_NamesItsAttemptInItsStateAndOutcome()
    {
        // An adopted container of attempt 2 (its label): what it reports can be told from attempt 3's.
        var job = new SupervisedJob("j", "w", HostJobPhase.Running, attempt: 2);
        Assert.True(job.TryMove(HostJobPhase.Exited, JobOutcome.FromExit(0, oomKilled: false), out _));
        Assert.Equal((2, 2), (job.State.Attempt, job.State.Outcome!.Attempt));
    }
}
