using System.Collections.Immutable;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>The maximum duration a job runs under: its own, the service's default, never above the ceiling.</summary>
[Collection(InMemoryClusterCollection.Name)]
public sealed class MaxDurationGrainTests(InMemoryClusterFixture fixture)
{
    [Theory]
    [InlineData("limited", 7200, InMemoryClusterFixture.LimitedCeiling, "maxDurationSeconds lowered to 60, the service's ceiling")]
    [InlineData("limited", 10, 10, null)]
    [InlineData("limited", null, InMemoryClusterFixture.LimitedDefault, null)]
    [InlineData("other", null, null, null)]
    [InlineData("other", 7200, 7200, null)]
    public async Task ASubmittedJob_RunsUnderTheServicesDefaultAndCeiling(string service, int? asked, int? runsUnder, string? note)
    {
        var id = Guid.NewGuid().ToString("N");
        var spec = new JobSpec(
            service, "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty,
            ResourceRequest.None, null, asked);
        var job = fixture.Grains.GetGrain<IJobGrain>(id);
        try
        {
            var view = await job.SubmitAsync("u" + Guid.NewGuid().ToString("N")[..10], spec);
            Assert.Equal(runsUnder, view.MaxDurationSeconds);
            Assert.Equal(note, view.History[0].Message);
        }
        finally
        {
            await job.CancelAsync();
        }
    }
}
