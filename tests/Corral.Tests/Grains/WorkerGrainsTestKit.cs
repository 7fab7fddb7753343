using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>Registering workers, submitting jobs and waiting on their views, for grain tests with workers.</summary>
public sealed class WorkerGrainsTestKit(InMemoryClusterFixture fixture)
{
    public IJobGrain Job(string id) => fixture.Grains.GetGrain<IJobGrain>(id);

    public async Task<string> RegisterAsync(string name, double cpu)
    {
        var worker = $"{name}-{Guid.NewGuid().ToString("N")[..8]}";
        var hostKey = fixture.Cluster.Primary!.SiloAddress.ToParsableString();
        await fixture.Grains.GetGrain<IWorkerGrain>(worker).RegisterAsync(new WorkerRegistration(
            hostKey, new WorkerCapacity(cpu, 16L << 30, []), SshCaps.Uncapped, ["corral/busybox:latest"], "127.0.0.1"));
        return worker;
    }

    public async Task<string> SubmitAsync(string user, string service, double cpu, RetryPolicy? retry = null)
    {
        var id = Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            service, "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
            new ResourceRequest(cpu, 1L << 30, null, null), null, Retry: retry);
        await Job(id).SubmitAsync(user, spec);
        return id;
    }

    public async Task<JobView> EventuallyAsync(string id, Func<JobView, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var view = (await Job(id).GetAsync())!;
            if (condition(view))
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} is {view.Status} (attempt {view.Attempt}): {view.Message}");
            await Task.Delay(50);
        }
    }

    public static string NewUser() => "u" + Guid.NewGuid().ToString("N")[..10];
}
