using Corral.Scheduling;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class FairAdmissionTests
{
    [Fact]
    public void TwoUsersFlooding_GetFreedSlotsAlternately_EachInTheirOwnOrder()
    {
        var book = new Book(cap: 2, perUserLimit: 5);
        book.Submit("a", "a1", "a2", "a3", "a4");
        book.Submit("b", "b1", "b2", "b3");
        Assert.Equal(["a1", "a2"], book.Admitted);

        var order = new List<string>();
        // Each time the oldest running job ends; the slot goes to the user holding fewer.
        foreach (var ended in new[] { "a1", "a2", "b1", "a3", "b2" })
        {
            order.AddRange(book.End(ended));
        }

        Assert.Equal(["b1", "a3", "b2", "a4", "b3"], order);
    }

    [Fact]
    public void AHigherPriorityJob_OfAnotherUser_TakesTheNextSlot_BeforeOlderJobsFirstInTurn()
    {
        var book = new Book(cap: 1, perUserLimit: 5);
        book.Submit("a", "a1", "a2", "a3");
        book.Submit(Corral.Jobs.JobPriority.Low, "c", "c1");
        book.Submit(Corral.Jobs.JobPriority.High, "b", "b1");

        // a is first in turn and holds the slot's only job, but b's next job is high: it goes first.
        Assert.Equal(["b1"], book.End("a1"));
        // Among normal and low, normal first; the low job waits until no higher one does.
        Assert.Equal(["a2"], book.End("b1"));
        Assert.Equal(["a3"], book.End("a2"));
        Assert.Equal(["c1"], book.End("a3"));
    }

    [Fact]
    public void AUserAtTheirOwnQuota_IsSkipped_AndKeepsTheirTurnForWhenTheyMayRunAgain()
    {
        var book = new Book(cap: 3, perUserLimit: 2);
        book.Submit("a", "a1", "a2", "a3");
        book.Submit("b", "b1", "b2", "b3");
        Assert.Equal(["a1", "a2", "b1"], book.Admitted);
        Assert.Equal("waiting: user quota 2/2", book.Reason("a"));
        Assert.Equal("waiting: service cap 3/3", book.Reason("b"));

        // b's slot frees: a is at their quota, so b's next job takes it although a is first in turn.
        Assert.Equal(["b2"], book.End("b1"));
        // a's slot frees: both hold one; a was skipped, not sent back, so a's next job comes before b's.
        Assert.Equal(["a3"], book.End("a1"));
    }

    [Fact]
    public void ANewcomer_RunsAtOnceWhileTheServiceHasRoom_AndNeverOvertakesSomeoneWhoCouldRun()
    {
        var book = new Book(cap: 2, perUserLimit: 1);
        book.Submit("a", "a1", "a2");
        Assert.Equal(["a1"], book.Admitted);
        Assert.Equal("waiting: user quota 1/1", book.Reason("a"));
        book.Submit("b", "b1");
        Assert.Equal(["a1", "b1"], book.Admitted);
        book.Submit("c", "c1");
        Assert.Equal("waiting: service cap 2/2", book.Reason("c"));

        // b ends: a is at their quota; c is next.
        Assert.Equal(["c1"], book.End("b1"));
    }

    [Fact]
    public void AUserWhoHoldsFewerSlots_GetsTheNextOne_ThoughAnotherJoinedTheTurnsFirst()
    {
        var book = new Book(cap: 3, perUserLimit: 5);
        book.Submit("a", "a1", "a2", "a3", "a4");
        book.Submit("b", "b1", "b2");
        Assert.Equal(["a1", "a2", "a3"], book.Admitted);
        Assert.Equal(["b1"], book.End("a1"));
        // Both hold one: b was just served, so a is first in turn.
        Assert.Equal(["a4"], book.End("a2"));
        Assert.Equal(["b2"], book.End("a3"));
    }

    [Fact]
    public void RemovingAWaitingJob_AdmitsNobody_AndAnEmptyQueueLeavesTheTurns()
    {
        var book = new Book(cap: 1, perUserLimit: 5);
        book.Submit("a", "a1");
        book.Submit("b", "b1");
        Assert.Empty(book.End("b1"));
        Assert.Empty(book.Turns);
        Assert.False(book.Remove("b", "b1"));
    }

    /// <summary>A service's admission state, driven as the service quota grain drives it.</summary>
    private sealed class Book(int cap, int perUserLimit)
    {
        private readonly Dictionary<string, List<string>> _holders = [];
        private readonly WaitingQueue _waiting = new();
        private readonly Dictionary<string, string> _owner = [];
        private long _seq;

        public List<string> Turns { get; } = [];

        public List<string> Admitted { get; } = [];

        public void Submit(string user, params string[] jobs) => Submit(Corral.Jobs.JobPriority.Normal, user, jobs);

        public void Submit(Corral.Jobs.JobPriority priority, string user, params string[] jobs)
        {
            foreach (var job in jobs)
            {
                _owner[job] = user;
                FairAdmission.Wait(_waiting, Turns, new WaitingJob(job, user, priority, _seq++, DateTimeOffset.UnixEpoch));
                Admitted.AddRange(FairAdmission.Fill(cap, perUserLimit, _holders, _waiting, Turns).Select(a => a.JobId));
                Assert.InRange(FairAdmission.Running(_holders), 0, cap);
            }
        }

        public List<string> End(string job)
        {
            Assert.True(Remove(_owner[job], job));
            var admitted = FairAdmission.Fill(cap, perUserLimit, _holders, _waiting, Turns).Select(a => a.JobId).ToList();
            Admitted.AddRange(admitted);
            Assert.InRange(FairAdmission.Running(_holders), 0, cap);
            return admitted;
        }

        public bool Remove(string user, string job) => FairAdmission.Remove(_holders, _waiting, Turns, user, job);

        public string Reason(string user) =>
            FairAdmission.WaitReason(cap, perUserLimit, FairAdmission.Running(_holders), FairAdmission.Held(_holders, user));
    }
}
