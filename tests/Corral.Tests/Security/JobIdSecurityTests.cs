using System.Collections.Immutable;
using Corral.Gateway.Jobs;
using Corral.HostAgent;
using Corral.Hosting;
using Corral.Jobs;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Issue 19, item 6: the host agent puts job ids into file paths, container names and iptables chain names, so
/// its grain refuses any id that is not what the gateway makes (32 lowercase hex digits) before doing anything.
/// </summary>
public sealed class JobIdSecurityTests
{
    private const string Good = "0123456789abcdef0123456789abcdef";

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef", true)]
    [InlineData("00000000000000000000000000000000", true)]
    [InlineData("ffffffffffffffffffffffffffffffff", true)]
    [InlineData("0123456789ABCDEF0123456789ABCDEF", false)]
    [InlineData("0123456789abcdef0123456789abcde", false)]
    [InlineData("0123456789abcdef0123456789abcdef0", false)]
    [InlineData("0123456789abcdef0123456789abcdeg", false)]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef", false)]
    [InlineData("../../../../etc/passwd", false)]
    [InlineData("../../../../../../../../etc/shadow", false)]
    [InlineData("0123456789abcdef0123456789abc/..", false)]
    [InlineData("0123456789abcdef0123456789ab;rm -", false)]
    [InlineData("0123456789abcdef0123456789abcde\n", false)]
    [InlineData("0123456789abcdef0123456789abcde\0", false)]
    [InlineData(" 0123456789abcdef0123456789abcde", false)]
    [InlineData("０123456789abcdef0123456789abcdef", false)]
    [InlineData("٠123456789abcdef0123456789abcdef", false)]
    [InlineData("job1", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void JobIds_AcceptOnly32LowercaseHexDigits(string? id, bool valid) =>
        Assert.Equal(valid, JobIds.IsValid(id));

    [Theory]
    [InlineData("alice", null)]
    [InlineData("alice", "retry-1")]
    [InlineData("bob", "../../../etc/passwd; iptables -F")]
    [InlineData("carol", "")]
    public void TheGatewaysIds_AreValid(string user, string? idempotencyKey) =>
        Assert.True(JobIds.IsValid(JobSubmitter.JobIdFor(user, idempotencyKey)));

    public static TheoryData<string> BadIds() => ["../../../../etc/passwd", "x;iptables -F;", "job1", "0123456789ABCDEF0123456789ABCDEF", ""];

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task HostGrain_RefusesABadId_InEveryMethod_AndLogsIt(string id)
    {
        var logger = new ListLogger<HostGrain>();
        // No supervisor: a refused call must not reach it (it would throw NullReferenceException, not ArgumentException).
        var grain = new HostGrain(null!, null!, logger);
        var launch = new JobLaunch(id, "alice",
            new JobSpec("s", "corral/busybox:latest", ["true"], JobKind.Batch, ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null),
            new EffectiveLimits(1, 1L << 30, 64, [], null, []), "w1");

        await Assert.ThrowsAsync<ArgumentException>(() => grain.StartAsync(launch));
        await Assert.ThrowsAsync<ArgumentException>(() => grain.StopAsync(id, TerminationReason.CancelledByUser, "stop"));
        await Assert.ThrowsAsync<ArgumentException>(() => grain.EndAsync(id, "end"));
        var inspect = await Assert.ThrowsAsync<ArgumentException>(() => grain.InspectAsync(id));
        await Assert.ThrowsAsync<ArgumentException>(() => grain.SnapshotFilesAsync(id));

        Assert.Contains("32 lowercase hex digits", inspect.Message, StringComparison.Ordinal);
        Assert.Equal(5, logger.Entries.Count(e => e.Level == LogLevel.Warning && e.Message.Contains("refused", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task HostGrain_PassesAGoodId_OnToTheSupervisor()
    {
        var logger = new ListLogger<HostGrain>();
        var grain = new HostGrain(null!, null!, logger);

        // The null supervisor is reached: the id check let it through.
        await Assert.ThrowsAsync<NullReferenceException>(() => grain.InspectAsync(Good));
        Assert.Empty(logger.Entries);
    }
}
