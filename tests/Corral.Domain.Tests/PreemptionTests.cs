using Corral.Jobs;
using Corral.Scheduling;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class PreemptionTests
{
    private static readonly (string, string)[] NoneUnderway = [];

    private static HeldJob Held(string id, string user, JobPriority priority, long admission) => new(id, user, priority, admission);

    private static WaitingJob High(string id, string user, long seq = 0) => new(id, user, JobPriority.High, seq, DateTimeOffset.UnixEpoch);

    private static List<string> Victims(
        int cap, int perUserLimit, HeldJob[] held, WaitingJob[] waiting, (string, string)[]? underway = null) =>
        [.. Preemption.ChooseVictims(cap, perUserLimit, held, underway ?? NoneUnderway, waiting).Select(v => v.Victim.JobId)];

    [Fact]
    public void ServiceFull_TheLowestPriority_MostRecentlyAdmitted_MakesWay()
    {
        HeldJob[] held =
        [
            Held("low-old", "a", JobPriority.Low, 1),
            Held("normal-new", "b", JobPriority.Normal, 4),
            Held("low-new", "c", JobPriority.Low, 3),
        ];

        Assert.Equal(["low-new"], Victims(3, 5, held, [High("h", "d")]));
    }

    [Fact]
    public void AJobHeldBeyondItsUsersQuota_MakesWayFirst_WhateverItsPriority()
    {
        // User b holds 3 with a limit of 2 (a burst): one of b's is beyond the quota.
        HeldJob[] held =
        [
            Held("a-low", "a", JobPriority.Low, 1),
            Held("b-1", "b", JobPriority.Normal, 2),
            Held("b-2", "b", JobPriority.Normal, 3),
            Held("b-3", "b", JobPriority.Normal, 4),
        ];

        Assert.Equal(["b-3"], Victims(4, 2, held, [High("h", "d")]));
    }

    [Fact]
    public void EqualOrHigherPriority_IsNeverPreempted()
    {
        HeldJob[] held = [Held("n", "a", JobPriority.High, 1), Held("m", "b", JobPriority.High, 2)];

        Assert.Empty(Victims(2, 5, held, [High("h", "c")]));
    }

    [Fact]
    public void AsManyAsNeeded_OnePerWaitingJob_NeverTheSameTwice()
    {
        HeldJob[] held =
        [
            Held("l1", "a", JobPriority.Low, 1),
            Held("l2", "a", JobPriority.Low, 2),
            Held("l3", "b", JobPriority.Low, 3),
        ];

        Assert.Equal(["l3", "l2"], Victims(3, 5, held, [High("h1", "c", 0), High("h2", "c", 1)]));
    }

    [Fact]
    public void PreemptionsUnderway_AreCounted_SoARepeatedCallChoosesNoMore()
    {
        HeldJob[] held = [Held("l1", "a", JobPriority.Low, 1), Held("l2", "a", JobPriority.Low, 2)];

        // l2 already makes way for c's first high job; c's second needs one more, and only l1 is left.
        Assert.Equal(["l1"], Victims(2, 5, held, [High("h2", "c")], [("l2", "c")]));
        Assert.Empty(Victims(2, 5, held, [High("h2", "c")], [("l2", "c"), ("l1", "c")]));
    }

    [Fact]
    public void OwnQuotaFull_OnlyTheUsersOwnLowerJobMakesWay()
    {
        // The service has room, but user a is at their limit of 2: another user's low job would not help.
        HeldJob[] held =
        [
            Held("a-normal", "a", JobPriority.Normal, 1),
            Held("a-high", "a", JobPriority.High, 2),
            Held("b-low", "b", JobPriority.Low, 3),
        ];

        Assert.Equal(["a-normal"], Victims(10, 2, held, [High("h", "a")]));
    }

    [Fact]
    public void OwnQuotaFull_WithNothingLowerOfTheirOwn_NoOneIsPreempted()
    {
        HeldJob[] held = [Held("a-high", "a", JobPriority.High, 1), Held("b-low", "b", JobPriority.Low, 2)];

        Assert.Empty(Victims(2, 1, held, [High("h", "a")]));
    }

    [Fact]
    public void ServiceWithRoom_AndOwnQuotaFree_NeedsNoVictim()
    {
        HeldJob[] held = [Held("l", "a", JobPriority.Low, 1)];

        Assert.Empty(Victims(2, 5, held, [High("h", "b")]));
    }

    [Fact]
    public void Reason_NamesTheJobItsPriorityAndTheService() =>
        Assert.Equal("preempted by job j1 (priority high) in service 'gpu'; requeued", Preemption.Reason("j1", JobPriority.High, "gpu"));
}
