using Corral.Jobs;
using Corral.Scheduling;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class WaitingQueueTests
{
    [Theory]
    // Jobs as id:priority in the order they arrive; the line they make.
    [InlineData("1:n 2:n 3:n", "1 2 3")]
    [InlineData("1:n 2:l 3:h 4:n 5:h", "3 5 1 4 2")]
    [InlineData("1:l 2:l 3:n", "3 1 2")]
    [InlineData("1:h 2:n 3:h", "1 3 2")]
    public void Add_PutsHigherPriorityFirst_AndKeepsArrivalOrderAmongEquals(string arrivals, string expected)
    {
        var queue = Arrive("alice", arrivals);

        Assert.Equal(expected, string.Join(' ', queue.Front("alice", 100).Select(j => j.JobId)));
        var order = expected.Split(' ');
        for (var at = 0; at < order.Length; at++)
        {
            Assert.Equal(at + 1, queue.PositionOf(order[at]));
        }
    }

    [Fact]
    public void TakeNext_ServesEachUsersLineInItsOwnOrder_AndLeavesOtherUsersAlone()
    {
        var queue = Arrive("alice", "a1:n a2:n a3:h");
        queue.Load([Job("b1", "bob", JobPriority.Normal, 10)]);

        Assert.Equal(["a3", "a1", "a2"], Drain(queue, "alice"));
        Assert.Null(queue.TakeNext("alice"));
        Assert.Equal(1, queue.PositionOf("b1"));
        Assert.Equal(["bob"], queue.Users);
    }

    [Fact]
    public void Remove_FromTheMiddle_MovesThoseBehindUp_AndAnUnknownJobIsNull()
    {
        var queue = Arrive("alice", "1:n 2:n 3:n 4:n");

        Assert.Equal("2", queue.Remove("2")!.JobId);
        Assert.Null(queue.Remove("2"));
        Assert.Null(queue.PositionOf("2"));
        Assert.Equal((2, 3), (queue.PositionOf("3")!.Value, queue.PositionOf("4")!.Value));
        Assert.Equal(3, queue.CountOf("alice"));
    }

    [Fact]
    public void Add_OfAJobAlreadyWaiting_ChangesNothing()
    {
        var queue = Arrive("alice", "1:n 2:n");
        queue.TakeChanges();

        Assert.False(queue.Add(Job("1", "alice", JobPriority.High, 99)));
        Assert.Equal(2, queue.PositionOf("2"));
        Assert.Empty(queue.TakeChanges().Stored);
    }

    [Fact]
    public void Move_ToAHigherPriority_PutsTheJobAheadOfLowerOnes_AfterEarlierArrivalsOfItsNewPriority()
    {
        var queue = Arrive("alice", "1:h 2:n 3:n 4:n");

        Assert.True(queue.Move("4", JobPriority.High));
        Assert.Equal(["1", "4", "2", "3"], queue.Front("alice", 10).Select(j => j.JobId));
        Assert.True(queue.Move("1", JobPriority.Low));
        Assert.Equal(["4", "2", "3", "1"], queue.Front("alice", 10).Select(j => j.JobId));
        Assert.False(queue.Move("nobody", JobPriority.High));
    }

    [Fact]
    public void TakeChanges_HoldsOnlyWhatChangedSinceTheLastCall_AndLoadedJobsAreNotChanges()
    {
        var queue = new WaitingQueue();
        queue.Load([Job("old1", "alice", JobPriority.Normal, 0), Job("old2", "alice", JobPriority.Normal, 1)]);
        Assert.Equal((0, 0), Counts(queue.TakeChanges()));

        queue.Add(Job("new", "alice", JobPriority.Normal, 2));
        queue.Remove("old1");
        queue.Move("old2", JobPriority.High);
        var (stored, deleted) = queue.TakeChanges();
        Assert.Equal(["new", "old2"], stored.Select(j => j.JobId).Order());
        Assert.Equal(JobPriority.High, stored.Single(j => j.JobId == "old2").Priority);
        Assert.Equal(["old1"], deleted);
        Assert.Equal((0, 0), Counts(queue.TakeChanges()));

        // Added and gone before it was stored: only a delete, which finds nothing.
        queue.Add(Job("brief", "alice", JobPriority.Normal, 3));
        queue.Remove("brief");
        (stored, deleted) = queue.TakeChanges();
        Assert.Empty(stored);
        Assert.Equal(["brief"], deleted);
    }

    [Fact]
    public void PositionOf_TheLastOfALongLine_IsItsLength()
    {
        var queue = new WaitingQueue();
        queue.Load(Enumerable.Range(0, 100_000).Select(i => Job($"j{i}", "alice", JobPriority.Normal, i)));
        queue.Add(Job("last", "alice", JobPriority.Normal, 100_000));

        Assert.Equal(100_001, queue.PositionOf("last"));
        Assert.Equal(100_000, queue.LastSeq);
        Assert.Equal("j0", queue.TakeNext("alice")!.JobId);
    }

    private static WaitingQueue Arrive(string user, string arrivals)
    {
        var queue = new WaitingQueue();
        var seq = 0;
        foreach (var arrival in arrivals.Split(' '))
        {
            var priority = arrival[^1] switch
            {
                'h' => JobPriority.High,
                'l' => JobPriority.Low,
                _ => JobPriority.Normal,
            };
            Assert.True(queue.Add(Job(arrival[..arrival.IndexOf(':')], user, priority, seq++)));
        }

        return queue;
    }

    private static List<string> Drain(WaitingQueue queue, string user)
    {
        var taken = new List<string>();
        while (queue.CountOf(user) > 0)
        {
            taken.Add(queue.TakeNext(user)!.JobId);
        }

        return taken;
    }

    private static (int, int) Counts((IReadOnlyList<WaitingJob> Stored, IReadOnlyList<string> Deleted) changes) =>
        (changes.Stored.Count, changes.Deleted.Count);

    private static WaitingJob Job(string id, string user, JobPriority priority, long seq) =>
        new(id, user, priority, seq, DateTimeOffset.UnixEpoch);
}
