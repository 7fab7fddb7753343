using Corral.Jobs;
using Corral.Workers;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class FairOrderTests
{
    [Theory]
    // Pending jobs as user:job, oldest first; the order the dispatcher tries them in.
    [InlineData("a:1 a:2 a:3 b:4", "a:1 b:4 a:2 a:3")]
    [InlineData("a:1 b:2 a:3 b:4 c:5", "a:1 b:2 c:5 a:3 b:4")]
    [InlineData("b:1 a:2 a:3 a:4 b:5", "b:1 a:2 b:5 a:3 a:4")]
    [InlineData("a:1 a:2", "a:1 a:2")]
    [InlineData("", "")]
    public void Interleave_TakesOneJobPerUserInTurn_EachUsersOldestFirst(string pending, string expected)
    {
        var requests = Parse(pending);

        var order = FairOrder.Interleave(requests).Select(r => $"{r.User}:{r.JobId}");

        Assert.Equal(expected, string.Join(' ', order));
    }

    private static List<PlacementRequest> Parse(string jobs) =>
        jobs.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(j => j.Split(':'))
            .Select(p => new PlacementRequest(p[1], p[0], JobKind.Batch, ResourceRequest.None, "corral/busybox:latest"))
            .ToList();
}
