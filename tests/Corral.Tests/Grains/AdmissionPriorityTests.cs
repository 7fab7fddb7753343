using System.Collections.Immutable;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>A job's priority orders it among its user's waiting jobs, with or without a service cap.</summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class AdmissionPriorityTests(InMemoryClusterFixture fixture)
{
    [Theory]
    [InlineData("tight")]
    [InlineData("tightcapped")]
    public async Task AHighPriorityJob_WaitsAheadOfOlderNormalAndLowOnes_AndIsAdmittedFirst(string service)
    {
        var user = "u" + Guid.NewGuid().ToString("N")[..10];
        var running = new[] { await SubmitAsync(user, service, JobPriority.Normal), await SubmitAsync(user, service, JobPriority.Normal) };
        var low = await SubmitAsync(user, service, JobPriority.Low);
        var normal = await SubmitAsync(user, service, JobPriority.Normal);
        var high = await SubmitAsync(user, service, JobPriority.High);
        try
        {
            Assert.Equal([1, 2, 3], [(await View(high)).QueuePosition, (await View(normal)).QueuePosition, (await View(low)).QueuePosition]);
            var view = await View(high);
            Assert.Equal((JobPriority.High, "waiting: user quota 2/2"), (view.Priority, view.Message));

            await fixture.Grains.GetGrain<IJobGrain>(running[0]).CancelAsync();
            await Eventually(async () => (await View(high)).Status == JobStatus.Pending);
            Assert.Equal(JobStatus.Queued, (await View(normal)).Status);
            Assert.Equal(1, (await View(normal)).QueuePosition);
        }
        finally
        {
            foreach (var id in new[] { running[0], running[1], low, normal, high })
            {
                await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
            }
        }
    }

    [Theory]
    [InlineData("tight")]
    [InlineData("tightcapped")]
    public async Task AnAdminRaisingAWaitingJobsPriority_MovesItToTheFront_AndARunningJobsCannotChange(string service)
    {
        var user = "u" + Guid.NewGuid().ToString("N")[..10];
        var running = new[] { await SubmitAsync(user, service, JobPriority.Normal), await SubmitAsync(user, service, JobPriority.Normal) };
        var first = await SubmitAsync(user, service, JobPriority.Normal);
        var last = await SubmitAsync(user, service, JobPriority.Normal);
        try
        {
            Assert.Equal([1, 2], [(await View(first)).QueuePosition, (await View(last)).QueuePosition]);

            var changed = await fixture.Grains.GetGrain<IJobGrain>(last).ChangePriorityAsync(JobPriority.High);
            Assert.Equal((JobPriority.High, 1), (changed!.Priority, changed.QueuePosition));
            Assert.Equal(2, (await View(first)).QueuePosition);
            Assert.Null(await fixture.Grains.GetGrain<IJobGrain>(running[0]).ChangePriorityAsync(JobPriority.Low));

            await fixture.Grains.GetGrain<IJobGrain>(running[0]).CancelAsync();
            await Eventually(async () => (await View(last)).Status == JobStatus.Pending);
            Assert.Equal(JobStatus.Queued, (await View(first)).Status);
        }
        finally
        {
            foreach (var id in new[] { running[0], running[1], first, last })
            {
                await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
            }
        }
    }

    private async Task<string> SubmitAsync(string user, string service, JobPriority priority)
    {
        var id = Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            service, "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
            ResourceRequest.None, null, null, priority);
        await fixture.Grains.GetGrain<IJobGrain>(id).SubmitAsync(user, spec);
        return id;
    }

    private async Task<JobView> View(string id) => (await fixture.Grains.GetGrain<IJobGrain>(id).GetAsync())!;

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 10 s");
            await Task.Delay(50);
        }
    }
}
