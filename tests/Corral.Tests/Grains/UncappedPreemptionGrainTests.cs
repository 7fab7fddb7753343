using Corral.Jobs;
using Corral.Quotas;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Preemption in services without a cap (SERVICE_&lt;NAME&gt;_PREEMPTION=true without SERVICE_&lt;NAME&gt;_MAX_RUNS):
/// "own1" (one run per user) and "own2" (two), where each user's own quota admits, so a high job may only take the
/// place of its own user's lower one. No worker is registered, so admitted jobs wait pending.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class UncappedPreemptionGrainTests(InMemoryClusterFixture fixture)
{
    private readonly CappedServiceJobs _jobs = new(fixture.Grains);

    [Fact]
    public async Task AHighJob_AtItsUsersQuota_PreemptsTheirLowJob_WhichIsRequeued_AndRunsAgainWhenTheHighJobEnds()
    {
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var low = await _jobs.SubmitAsync(alice, "own1", JobPriority.Low);
        var bobsLow = await _jobs.SubmitAsync(bob, "own1", JobPriority.Low);
        var high = await _jobs.SubmitAsync(alice, "own1", JobPriority.High);
        var all = new[] { low, bobsLow, high };
        try
        {
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(high)).Status == JobStatus.Pending);
            var victim = await _jobs.ViewAsync(low);
            Assert.Equal((JobStatus.Queued, 2, 1, (int?)1), (victim.Status, victim.Attempt, victim.Preemptions, victim.QueuePosition));
            Assert.Equal(
                $"preempted by job {high} (priority high) in service 'own1'; requeued",
                victim.History.Single(h => h.Status == JobStatus.Queued && h.Message is not null).Message);
            // Another user's job is not the high job's to take.
            Assert.Equal((JobStatus.Pending, 1, 0), await StatusAttemptPreemptionsAsync(bobsLow));
            Assert.Equal((1, 1), await RunningQueuedAsync(alice, "own1"));

            await fixture.Grains.GetGrain<IJobGrain>(high).CancelAsync();
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(low)).Status == JobStatus.Pending);
        }
        finally
        {
            await _jobs.CancelAllAsync(all);
        }

        await _jobs.AssertCancelledOnceAsync(all);
        Assert.Equal((0, 0), await RunningQueuedAsync(alice, "own1"));
        Assert.Equal((0, 0), await RunningQueuedAsync(bob, "own1"));
    }

    [Fact]
    public async Task HighJobs_TakeTheLowestPriorityFirst_OneVictimEach_AndNeverAnEqualOne()
    {
        var alice = CappedServiceJobs.NewUser();
        var low = await _jobs.SubmitAsync(alice, "own2", JobPriority.Low);
        var normal = await _jobs.SubmitAsync(alice, "own2", JobPriority.Normal);
        var firstHigh = await _jobs.SubmitAsync(alice, "own2", JobPriority.High);
        var all = new List<string> { low, normal, firstHigh };
        try
        {
            // The low job, though admitted first, makes way before the normal one.
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(firstHigh)).Status == JobStatus.Pending);
            Assert.Equal((JobStatus.Queued, 2, 1), await StatusAttemptPreemptionsAsync(low));
            Assert.Equal((JobStatus.Pending, 1, 0), await StatusAttemptPreemptionsAsync(normal));

            // A waiting normal job preempts nobody.
            var waitingNormal = await _jobs.SubmitAsync(alice, "own2", JobPriority.Normal);
            all.Add(waitingNormal);
            var secondHigh = await _jobs.SubmitAsync(alice, "own2", JobPriority.High);
            all.Add(secondHigh);
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(secondHigh)).Status == JobStatus.Pending);
            Assert.Equal((JobStatus.Queued, 2, 1), await StatusAttemptPreemptionsAsync(normal));

            // Only high jobs run now: a third high job waits, and nobody was preempted twice.
            var thirdHigh = await _jobs.SubmitAsync(alice, "own2", JobPriority.High);
            all.Add(thirdHigh);
            await Task.Delay(500);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(thirdHigh)).Status);
            Assert.Equal(new[] { firstHigh, secondHigh }.Order(), (await _jobs.PendingAsync(all)).Order());
            foreach (var id in all)
            {
                Assert.True((await _jobs.ViewAsync(id)).Preemptions <= 1, $"job {id} was preempted more than once");
            }

            Assert.Equal((2, 4), await RunningQueuedAsync(alice, "own2"));
        }
        finally
        {
            await _jobs.CancelAllAsync(all);
        }

        await _jobs.AssertCancelledOnceAsync(all);
        Assert.Equal((0, 0), await RunningQueuedAsync(alice, "own2"));
    }

    [Fact]
    public async Task WithPreemptionOff_AHighJobWaits_UntilAnAdminTurnsItOn()
    {
        // "tight": no cap, two runs per user, no preemption variable.
        var service = fixture.Grains.GetGrain<IServiceQuotaGrain>("tight");
        var alice = CappedServiceJobs.NewUser();
        var lows = new[] { await _jobs.SubmitAsync(alice, "tight", JobPriority.Low), await _jobs.SubmitAsync(alice, "tight", JobPriority.Low) };
        var high = await _jobs.SubmitAsync(alice, "tight", JobPriority.High);
        try
        {
            Assert.Equal(new EffectiveSwitch(false, "default"), (await service.GetLimitsAsync()).Preemption);
            await Task.Delay(500);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(high)).Status);
            foreach (var low in lows)
            {
                Assert.Equal((JobStatus.Pending, 1, 0), await StatusAttemptPreemptionsAsync(low));
            }

            Assert.Equal(new EffectiveSwitch(true, "override"), (await service.SetLimitsAsync(new LimitOverrides(Preemption: true))).Limits!.Preemption);
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(high)).Status == JobStatus.Pending);
            // The most recently admitted of the two equal lows made way.
            Assert.Equal((JobStatus.Pending, 1, 0), await StatusAttemptPreemptionsAsync(lows[0]));
            Assert.Equal((JobStatus.Queued, 2, 1), await StatusAttemptPreemptionsAsync(lows[1]));
        }
        finally
        {
            await service.SetLimitsAsync(null);
            await _jobs.CancelAllAsync([.. lows, high]);
        }

        await _jobs.AssertCancelledOnceAsync([.. lows, high]);
        Assert.Equal((0, 0), await RunningQueuedAsync(alice, "tight"));
    }

    [Fact]
    public async Task AHighJobCancelledRightAfterSubmission_LeavesItsVictimRunning_NotWaiting()
    {
        var alice = CappedServiceJobs.NewUser();
        var low = await _jobs.SubmitAsync(alice, "own1", JobPriority.Low);
        var high = await _jobs.SubmitAsync(alice, "own1", JobPriority.High);
        await fixture.Grains.GetGrain<IJobGrain>(high).CancelAsync();
        try
        {
            // Whether or not the preemption reached it before the cancel, the low job holds its slot and is admitted.
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(low)).Status == JobStatus.Pending);
            // ...and stays so: no repeated message preempts it later (the quota asks victims again every 10 s).
            await Task.Delay(TimeSpan.FromSeconds(11));
            var view = await _jobs.ViewAsync(low);
            Assert.Equal(JobStatus.Pending, view.Status);
            Assert.InRange(view.Preemptions, 0, 1);
            Assert.Equal((1, 0), await RunningQueuedAsync(alice, "own1"));
        }
        finally
        {
            await _jobs.CancelAllAsync([low, high]);
        }

        await _jobs.AssertCancelledOnceAsync([low, high]);
        Assert.Equal((0, 0), await RunningQueuedAsync(alice, "own1"));
    }

    private async Task<(JobStatus, int, int)> StatusAttemptPreemptionsAsync(string id)
    {
        var view = await _jobs.ViewAsync(id);
        return (view.Status, view.Attempt, view.Preemptions);
    }

    private async Task<(int Running, int Queued)> RunningQueuedAsync(string user, string service)
    {
        var usage = await fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync();
        return (usage.Running, usage.Queued);
    }
}
