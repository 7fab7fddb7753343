using Xunit;

namespace Corral.Tests.EndToEnd;

[Collection(NoCapacityCollection.Name)]
public sealed class NoCapacityTests(NoCapacitySystem system)
{
    [Fact]
    public async Task AJobNoWorkerCouldEverHold_FailsNoCapacity_AndTheUsersNextJobRunsInItsSlot()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // Service "tight" runs one job per user at a time: the impossible job holds the slot, the next one waits.
        var impossible = await Jobs.SubmitAsync(alice, Jobs.Shell("echo never", service: "tight", cpu: 1000));
        var next = await Jobs.SubmitAsync(alice, Jobs.Shell("echo next", service: "tight"));

        var failed = await CorralSystem.Terminal(system, alice, impossible);
        Assert.Equal(("failed", "no_capacity"), (Jobs.Status(failed), Jobs.Reason(failed)));
        var message = failed["message"]!.GetValue<string>();
        Assert.Contains($"for {NoCapacitySystem.GraceSeconds} s", message, StringComparison.Ordinal);
        Assert.Contains($"cpu: asks 1000, worker '{system.WorkerName}' allows at most", message, StringComparison.Ordinal);
        Assert.Null(failed["startedAt"]);

        var done = await CorralSystem.Terminal(system, alice, next);
        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal("next\n", await alice.GetStringAsync($"/api/jobs/{next}/logs"));
    }
}
