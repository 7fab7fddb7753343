using System.Collections;
using System.Collections.Immutable;
using Corral.Configuration;
using Corral.Jobs;
using Corral.Quotas;
using Corral.Users;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, item 3: one user must not pile up unbounded work. Past USER_MAX_QUEUED_JOBS waiting jobs, or past
/// USER_MAX_SERVICES distinct services, a submission is refused naming the setting, and nothing of it is stored;
/// the count holds when submissions arrive all at once.
/// </summary>
public sealed class UserLimitSecurityTests(UserLimitsClusterFixture fixture) : IClassFixture<UserLimitsClusterFixture>
{
    private const int Deadline = 10;

    [Fact]
    public async Task QueuedJobs_PastTheLimit_AreRefusedNamingTheSetting_AndNothingIsStored()
    {
        var user = await UserHoldingTheSlotAsync();
        var queued = new List<string>();
        for (var i = 0; i < UserLimitsClusterFixture.MaxQueued; i++)
        {
            var view = await Job(NewId()).SubmitAsync(user, Spec("one"));
            Assert.Equal(JobStatus.Queued, view.Status);
            queued.Add(view.Id);
        }

        var refusedId = NewId();
        var refusal = await Assert.ThrowsAsync<UserLimitExceededException>(() => Job(refusedId).SubmitAsync(user, Spec("one")));
        Assert.Equal((UserLimits.MaxQueuedJobsVariable, "jobs"), (refusal.Setting, refusal.Field));
        Assert.Contains($"USER_MAX_QUEUED_JOBS={UserLimitsClusterFixture.MaxQueued}", refusal.Message);
        Assert.Null(await Job(refusedId).GetAsync());
        Assert.Equal(UserLimitsClusterFixture.MaxQueued, await QueuedInServiceAsync(user, "one"));

        // A waiting job that leaves the queue (cancelled here) makes room for one more, and only one.
        await Job(queued[0]).CancelAsync();
        var next = await EventuallyAcceptedAsync(user, "one");
        Assert.Equal(JobStatus.Queued, next.Status);
        await Assert.ThrowsAsync<UserLimitExceededException>(() => Job(NewId()).SubmitAsync(user, Spec("one")));
    }

    [Fact]
    public async Task QueuedJobs_SubmittedAllAtOnce_AreCountedExactly()
    {
        var user = await UserHoldingTheSlotAsync();
        var ids = Enumerable.Range(0, 24).Select(_ => NewId()).ToList();

        var outcomes = await Task.WhenAll(ids.Select(id => TrySubmitAsync(id, user, "one")));

        Assert.Equal(UserLimitsClusterFixture.MaxQueued, outcomes.Count(o => o is not null));
        Assert.All(outcomes.Where(o => o is not null), o => Assert.Equal(JobStatus.Queued, o!.Status));
        Assert.Equal(UserLimitsClusterFixture.MaxQueued, await QueuedInServiceAsync(user, "one"));
        foreach (var (id, outcome) in ids.Zip(outcomes))
        {
            if (outcome is null)
            {
                Assert.Null(await Job(id).GetAsync());
            }
        }
    }

    [Fact]
    public async Task Services_PastTheLimit_AreRefusedNamingTheSetting_EvenAllAtOnce_WhileUsedOnesStayOpen()
    {
        var user = NewUser();
        var services = Enumerable.Range(0, 10).Select(i => $"svc{i}").ToList();
        var ids = services.Select(_ => NewId()).ToList();

        var outcomes = await Task.WhenAll(ids.Zip(services).Select(p => TrySubmitAsync(p.First, user, p.Second)));

        Assert.Equal(UserLimitsClusterFixture.MaxServices, outcomes.Count(o => o is not null));
        foreach (var (id, outcome) in ids.Zip(outcomes))
        {
            if (outcome is null)
            {
                Assert.Null(await Job(id).GetAsync());
            }
        }

        var quotas = await fixture.Grains.GetGrain<IUserGrain>(user).GetQuotasAsync();
        Assert.Equal(UserLimitsClusterFixture.MaxServices + 1, quotas.Length); // the two used, and "one" (configured)
        var used = services.Zip(outcomes).Where(p => p.Second is not null).Select(p => p.First).ToList();
        var refusal = await Assert.ThrowsAsync<UserLimitExceededException>(() => Job(NewId()).SubmitAsync(user, Spec("another")));
        Assert.Equal((UserLimits.MaxServicesVariable, "service"), (refusal.Setting, refusal.Field));
        Assert.Contains($"USER_MAX_SERVICES={UserLimitsClusterFixture.MaxServices}", refusal.Message);
        Assert.NotNull(await Job(NewId()).SubmitAsync(user, Spec(used[0])));
    }

    [Fact]
    public void Settings_DefaultFarAboveNormalUse_AndABadValueStopsTheProcessNamingIt()
    {
        Assert.Equal(new UserLimits(10_000, 50), QuotaOptions.FromEnvironment(new Hashtable()).Users);
        Assert.Equal(new UserLimits(7, 3), QuotaOptions.FromEnvironment(new Hashtable
        {
            [UserLimits.MaxQueuedJobsVariable] = "7",
            [UserLimits.MaxServicesVariable] = "3",
        }).Users);
        foreach (var bad in new[] { "0", "-1", "ten", "1.5" })
        {
            var error = Assert.Throws<InvalidSettingException>(() =>
                QuotaOptions.FromEnvironment(new Hashtable { [UserLimits.MaxServicesVariable] = bad }));
            Assert.Contains(UserLimits.MaxServicesVariable, error.Message);
        }
    }

    /// <summary>A new user whose single slot of service "one" is held, so their jobs of it stay queued.</summary>
    private async Task<string> UserHoldingTheSlotAsync()
    {
        var user = NewUser();
        Assert.True((await fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, "one")).EnqueueAsync(NewId())).Admitted);
        return user;
    }

    private async Task<int> QueuedInServiceAsync(string user, string service) =>
        (await fixture.Grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, service)).GetUsageAsync()).Queued;

    private async Task<JobView?> TrySubmitAsync(string id, string user, string service)
    {
        try
        {
            return await Job(id).SubmitAsync(user, Spec(service));
        }
        catch (UserLimitExceededException)
        {
            return null;
        }
    }

    /// <summary>The one-way note that a job left the queue reaches the user grain soon after the cancel returns.</summary>
    private async Task<JobView> EventuallyAcceptedAsync(string user, string service)
    {
        var deadline = DateTime.UtcNow.AddSeconds(Deadline);
        while (true)
        {
            var id = NewId();
            if (await TrySubmitAsync(id, user, service) is { } view)
            {
                return view;
            }

            Assert.Null(await Job(id).GetAsync());
            Assert.True(DateTime.UtcNow < deadline, "no room was made by the cancelled job");
            await Task.Delay(50);
        }
    }

    private IJobGrain Job(string id) => fixture.Grains.GetGrain<IJobGrain>(id);

    private static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..10];

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static JobSpec Spec(string service) => new(
        service, "corral/busybox:latest", ["true"], JobKind.Batch,
        ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);
}
