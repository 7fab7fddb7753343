using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// Placement with two registered workers where only one holds the job's image: the real job, dispatcher and
/// worker grains decide, and the recording host grain shows where the job was started. A cluster of its own:
/// the workers registered here would otherwise take jobs that other grain tests expect to wait.
/// </summary>
[Collection(Name)]
public sealed class ImagePlacementTests(InMemoryClusterFixture fixture)
{
    public const string Name = "in-memory cluster with workers (images)";

    [Fact]
    public async Task Job_IsPlacedOnTheWorkerThatHasItsImage_NotOnTheTighterFitWithout()
    {
        var image = NewImage();
        // Best fit alone would pick the smaller worker; only the bigger one has the image.
        var lacks = await RegisterAsync("lacks", cpu: 2, images: ["corral/busybox:latest"]);
        var has = await RegisterAsync("has", cpu: 8, images: ["corral/busybox:latest", image]);

        var id = await SubmitAsync(image);

        var view = await EventuallyAsync(id, v => v.Status == JobStatus.Starting);
        Assert.Equal(has, view.Worker);
        Assert.Equal(has, RecordingHostGrain.Launches[id].Worker);
        Assert.DoesNotContain(view.History, h => h.Message == $"placed on worker '{lacks}'");
        Assert.Contains(id, (await Worker(has).GetAsync())!.Jobs);
        Assert.DoesNotContain(id, (await Worker(lacks).GetAsync())!.Jobs);
        await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
    }

    [Fact]
    public async Task Job_WhoseImageNoWorkerHas_StaysPendingSayingSo_UntilAHeartbeatListsIt()
    {
        var image = NewImage();
        var worker = await RegisterAsync("later", cpu: 8, images: ["corral/busybox:latest"]);

        var id = await SubmitAsync(image);

        var pending = await EventuallyAsync(id, v => v.Message?.Contains($"image: '{image}' is not on worker '{worker}'") == true);
        Assert.Equal(JobStatus.Pending, pending.Status);
        Assert.StartsWith("no registered worker can satisfy this request: ", pending.Message);
        Assert.False(RecordingHostGrain.Launches.ContainsKey(id));

        // The image is loaded on the worker; the agent's next heartbeat lists it.
        await RegisterAsync(worker, cpu: 8, images: ["corral/busybox:latest", image], exactName: true);

        var started = await EventuallyAsync(id, v => v.Status == JobStatus.Starting);
        Assert.Equal(worker, started.Worker);
        Assert.Null(started.Message);
        await fixture.Grains.GetGrain<IJobGrain>(id).CancelAsync();
    }

    private static string NewImage() => $"corral/placement-{Guid.NewGuid():N}:1";

    private IWorkerGrain Worker(string name) => fixture.Grains.GetGrain<IWorkerGrain>(name);

    private async Task<string> RegisterAsync(string name, double cpu, ImmutableArray<string> images, bool exactName = false)
    {
        var worker = exactName ? name : $"{name}-{Guid.NewGuid().ToString("N")[..8]}";
        var hostKey = fixture.Cluster.Primary!.SiloAddress.ToParsableString();
        await Worker(worker).RegisterAsync(new WorkerRegistration(
            hostKey, new WorkerCapacity(cpu, 16L << 30, []), SshCaps.Uncapped, images, "127.0.0.1"));
        return worker;
    }

    private async Task<string> SubmitAsync(string image)
    {
        var id = Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            "images", image, ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
            new ResourceRequest(1, 1L << 30, null, null), null);
        await fixture.Grains.GetGrain<IJobGrain>(id).SubmitAsync("u" + Guid.NewGuid().ToString("N")[..10], spec);
        return id;
    }

    private async Task<JobView> EventuallyAsync(string id, Func<JobView, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var view = (await fixture.Grains.GetGrain<IJobGrain>(id).GetAsync())!;
            if (condition(view))
            {
                return view;
            }

            Assert.True(DateTime.UtcNow < deadline, $"job {id} is {view.Status}: {view.Message}");
            await Task.Delay(50);
        }
    }
}

[CollectionDefinition(ImagePlacementTests.Name)]
public sealed class ImagePlacementCollection : ICollectionFixture<InMemoryClusterFixture>;
