using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Preemption in a capped service (SERVICE_PREEMPTIVE_PREEMPTION=true, cap 2, 2 per user): no worker is registered, so
/// admitted jobs wait pending and a preempted one goes back from pending to queued.
/// </summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class PreemptionGrainTests(InMemoryClusterFixture fixture)
{
    private readonly CappedServiceJobs _jobs = new(fixture.Grains);

    [Fact]
    public async Task AHighJob_InAFullService_PreemptsTheNewestLowJob_WhichIsRequeuedFirstInItsLine()
    {
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var older = await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low);
        var newer = await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low);
        var later = await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low);
        var high = await _jobs.SubmitAsync(bob, "preemptive", JobPriority.High);
        var all = new[] { older, newer, later, high };
        try
        {
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(high)).Status == JobStatus.Pending);
            var victim = await _jobs.ViewAsync(newer);
            Assert.Equal(JobStatus.Queued, victim.Status);
            Assert.Equal((2, 1), (victim.Attempt, victim.Preemptions));
            // It keeps its arrival number: ahead of alice's job that came after it.
            Assert.Equal(1, victim.QueuePosition);
            Assert.Equal(2, (await _jobs.ViewAsync(later)).QueuePosition);
            Assert.Equal(
                $"preempted by job {high} (priority high) in service 'preemptive'; requeued",
                victim.History.Single(h => h.Status == JobStatus.Queued && h.Message is not null).Message);
            Assert.Equal(JobStatus.Pending, (await _jobs.ViewAsync(older)).Status);

            // The high job ends: the requeued job takes the slot back.
            await fixture.Grains.GetGrain<IJobGrain>(high).CancelAsync();
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(newer)).Status == JobStatus.Pending);
        }
        finally
        {
            await _jobs.CancelAllAsync(all);
        }

        await _jobs.AssertCancelledOnceAsync(all);

        Assert.Equal(0, (await QuotaOf(alice, "preemptive")).Running);
    }

    [Fact]
    public async Task AHighJob_AtItsOwnQuota_PreemptsOnlyItsUsersLowerJob()
    {
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var aliceNormal = await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Normal);
        var aliceHigh = await _jobs.SubmitAsync(alice, "preemptive", JobPriority.High);
        var bobHigh = await _jobs.SubmitAsync(bob, "preemptive", JobPriority.High);
        var all = new[] { aliceNormal, aliceHigh, bobHigh };
        try
        {
            // The service is full of alice's jobs (cap 2); bob's high job takes alice's normal one's slot.
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(bobHigh)).Status == JobStatus.Pending);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(aliceNormal)).Status);
            Assert.Equal(JobStatus.Pending, (await _jobs.ViewAsync(aliceHigh)).Status);

            // A third high job finds only high jobs running: nobody makes way.
            var third = await _jobs.SubmitAsync(CappedServiceJobs.NewUser(), "preemptive", JobPriority.High);
            all = [.. all, third];
            await Task.Delay(500);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(third)).Status);
            Assert.Equal(new[] { aliceHigh, bobHigh }.Order(), (await _jobs.PendingAsync([.. all])).Order());
        }
        finally
        {
            await _jobs.CancelAllAsync(all);
        }
    }

    [Fact]
    public async Task AJobCancelledAfterItWasPreempted_EndsCancelledOnce_AndItsSlotIsNotHeld()
    {
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var lows = new[] { await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low), await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low) };
        var high = await _jobs.SubmitAsync(bob, "preemptive", JobPriority.High);
        try
        {
            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(high)).Status == JobStatus.Pending);
            var victim = lows[1];
            await fixture.Grains.GetGrain<IJobGrain>(victim).CancelAsync();
            // A repeated preemption message changes nothing once the job ended.
            await fixture.Grains.GetGrain<IJobGrain>(victim).PreemptAsync("late");

            var view = await _jobs.ViewAsync(victim);
            Assert.Equal(JobStatus.Cancelled, view.Status);
            Assert.Equal(
                [JobStatus.Queued, JobStatus.Pending, JobStatus.Queued, JobStatus.Cancelled],
                view.History.Select(h => h.Status));
            Assert.Equal(1, (await QuotaOf(alice, "preemptive")).Running);
            Assert.Equal(0, (await QuotaOf(alice, "preemptive")).Queued);
        }
        finally
        {
            await _jobs.CancelAllAsync([.. lows, high]);
        }
    }

    [Fact]
    public async Task AHighJobCancelledRightAfterSubmission_CallsOffItsPreemption_AndBothLowJobsHoldTheirSlots()
    {
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var lows = new[] { await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low), await _jobs.SubmitAsync(alice, "preemptive", JobPriority.Low) };
        var high = await _jobs.SubmitAsync(bob, "preemptive", JobPriority.High);
        await fixture.Grains.GetGrain<IJobGrain>(high).CancelAsync();
        try
        {
            // Whether or not the preemption reached the victim before the cancel, it keeps its slot and is admitted.
            await CappedServiceJobs.EventuallyAsync(async () =>
                (await Task.WhenAll(lows.Select(_jobs.ViewAsync))).All(v => v.Status == JobStatus.Pending));
            // ...and stays so: the quota asks victims again every 10 s, and this one is none any more.
            await Task.Delay(TimeSpan.FromSeconds(11));
            var views = await Task.WhenAll(lows.Select(_jobs.ViewAsync));
            Assert.All(views, v => Assert.Equal(JobStatus.Pending, v.Status));
            // Only the newer one was ever chosen, and stopped at most once.
            Assert.Equal(0, views[0].Preemptions);
            Assert.InRange(views[1].Preemptions, 0, 1);
            var usage = await QuotaOf(alice, "preemptive");
            Assert.Equal((2, 0, (int?)2), (usage.Running, usage.Queued, usage.ServiceRunning));
        }
        finally
        {
            await _jobs.CancelAllAsync([.. lows, high]);
        }

        await _jobs.AssertCancelledOnceAsync([.. lows, high]);
        Assert.Equal((0, 0), ((await QuotaOf(alice, "preemptive")).Running, (await QuotaOf(bob, "preemptive")).Queued));
    }

    [Fact]
    public async Task WithPreemptionOff_AHighJobWaits_AndNothingIsPreempted()
    {
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var lows = new[] { await _jobs.SubmitAsync(alice, "capped", JobPriority.Low), await _jobs.SubmitAsync(alice, "capped", JobPriority.Low) };
        var high = await _jobs.SubmitAsync(bob, "capped", JobPriority.High);
        try
        {
            await Task.Delay(500);
            Assert.Equal(JobStatus.Queued, (await _jobs.ViewAsync(high)).Status);
            foreach (var low in lows)
            {
                var view = await _jobs.ViewAsync(low);
                Assert.Equal((JobStatus.Pending, 1), (view.Status, view.Attempt));
            }
        }
        finally
        {
            await _jobs.CancelAllAsync([.. lows, high]);
        }
    }

    [Fact]
    public async Task PreemptionTurnedOnAtRunTime_LetsAWaitingHighJobTakeALowJobsPlace_AndTurnsOffAgain()
    {
        var service = fixture.Grains.GetGrain<Corral.Quotas.IServiceQuotaGrain>("capped");
        var (alice, bob) = (CappedServiceJobs.NewUser(), CappedServiceJobs.NewUser());
        var lows = new[] { await _jobs.SubmitAsync(alice, "capped", JobPriority.Low), await _jobs.SubmitAsync(alice, "capped", JobPriority.Low) };
        var high = await _jobs.SubmitAsync(bob, "capped", JobPriority.High);
        try
        {
            Assert.Equal(new Corral.Quotas.EffectiveSwitch(false, "default"), (await service.GetLimitsAsync())!.Preemption);
            Assert.Equal(
                new Corral.Quotas.EffectiveSwitch(true, "override"),
                (await service.SetLimitsAsync(new Corral.Quotas.LimitOverrides(Preemption: true))).Limits!.Preemption);

            await CappedServiceJobs.EventuallyAsync(async () => (await _jobs.ViewAsync(high)).Status == JobStatus.Pending);
            Assert.Equal([JobStatus.Pending, JobStatus.Queued], await Task.WhenAll(lows.Select(async id => (await _jobs.ViewAsync(id)).Status)));
            Assert.Equal(
                new Corral.Quotas.EffectiveSwitch(true, "SERVICE_PREEMPTIVE_PREEMPTION"),
                (await fixture.Grains.GetGrain<Corral.Quotas.IServiceQuotaGrain>("preemptive").GetLimitsAsync())!.Preemption);
        }
        finally
        {
            await service.SetLimitsAsync(null);
            await _jobs.CancelAllAsync([.. lows, high]);
        }

        Assert.Equal(new Corral.Quotas.EffectiveSwitch(false, "default"), (await service.GetLimitsAsync())!.Preemption);
    }

    private Task<Corral.Quotas.QuotaUsage> QuotaOf(string user, string service) =>
        fixture.Grains.GetGrain<Corral.Quotas.IQuotaGrain>(Corral.Quotas.QuotaKey.For(user, service)).GetUsageAsync();
}
