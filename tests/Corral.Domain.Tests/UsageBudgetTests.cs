using Corral.Quotas;
using Corral.Scheduling;
using Xunit;

namespace Corral.Domain.Tests;

/// <summary>Budgets per user and service in sliding windows (issue 18), at fixed times.</summary>
public sealed class UsageBudgetTests
{
    // On an hour boundary, so bucket starts are easy to read.
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Window_AddsIntoBuckets_CountsOnlyWhatIsInTheWindow()
    {
        var buckets = new List<UsageBucket>();
        BudgetWindow.Day.Add(buckets, T0.AddMinutes(10), 30);
        BudgetWindow.Day.Add(buckets, T0.AddMinutes(50), 20);
        BudgetWindow.Day.Add(buckets, T0.AddHours(3), 5);

        // One bucket per hour however many jobs ended in it.
        Assert.Equal([new UsageBucket(T0, 50), new UsageBucket(T0.AddHours(3), 5)], buckets);
        Assert.Equal(55, BudgetWindow.Day.Spent(buckets, T0.AddHours(23)));
        // Amounts count from their bucket's start: the first hour's leave the window a day after it began.
        Assert.Equal(5, BudgetWindow.Day.Spent(buckets, T0.AddHours(24)));
        Assert.Equal(0, BudgetWindow.Day.Spent(buckets, T0.AddHours(27)));
    }

    [Fact]
    public void Window_AddPrunesBucketsThatLeft_AndIgnoresNothingSpent()
    {
        var buckets = new List<UsageBucket>();
        BudgetWindow.Hour.Add(buckets, T0, 1);
        BudgetWindow.Hour.Add(buckets, T0.AddMinutes(61), 0);

        Assert.Empty(buckets);
    }

    [Fact]
    public void Window_AClockThatMovedBack_AddsToTheNewestBucket()
    {
        var buckets = new List<UsageBucket>();
        BudgetWindow.Hour.Add(buckets, T0.AddMinutes(20), 1);
        BudgetWindow.Hour.Add(buckets, T0.AddMinutes(5), 1);

        Assert.Equal([new UsageBucket(T0.AddMinutes(20), 2)], buckets);
    }

    [Theory]
    // Spent 100 of 100: frees when the oldest bucket (50) leaves, a day after its hour began.
    [InlineData(100, 24)]
    // Spent 100 of 40: the first two buckets must leave (100 - 50 - 30 = 20 < 40).
    [InlineData(40, 25)]
    // Spent 100 of 10: everything must leave.
    [InlineData(10, 26)]
    public void Window_FreesAt_WhenEnoughOfTheOldestBucketsHaveLeft(int limit, int hoursAfterT0)
    {
        var buckets = new List<UsageBucket>
        {
            new(T0, 50), new(T0.AddHours(1), 30), new(T0.AddHours(2), 20),
        };

        Assert.Equal(T0.AddHours(hoursAfterT0), BudgetWindow.Day.FreesAt(buckets, T0.AddHours(5), limit));
    }

    [Fact]
    public void Window_FreesAt_IsNullWhileUnderTheLimit()
    {
        var buckets = new List<UsageBucket> { new(T0, 50) };

        Assert.Null(BudgetWindow.Day.FreesAt(buckets, T0.AddHours(1), 51));
    }

    [Fact]
    public void Budget_SpentSaysWhichBudgetAndHowMuch()
    {
        var budget = new UsageBudget(JobsPerHour: 2, CpuSecondsPerDay: 3600);
        var usage = new BudgetUsage();

        budget.RecordTime(usage, T0, 3599.6, 500);
        Assert.Null(budget.Spent(usage, T0));
        // No GPU budget: GPU-seconds are not even kept.
        Assert.Empty(usage.GpuSeconds);

        budget.RecordTime(usage, T0.AddMinutes(1), 0.5, 0);
        Assert.Equal("waiting: budget spent (cpu-seconds 3600/3600 per day)", budget.Spent(usage, T0.AddMinutes(2)));
        Assert.False(budget.Allows(usage, T0.AddMinutes(2)));
        Assert.Equal(T0.AddDays(1), budget.FreesAt(usage, T0.AddMinutes(2)));
        Assert.True(budget.Allows(usage, T0.AddDays(1)));
    }

    [Fact]
    public void Budget_JobsPerHour_CountsStarts_FreesWhenEverySpentBudgetDoes()
    {
        var budget = new UsageBudget(JobsPerHour: 2, GpuSecondsPerDay: 100);
        var usage = new BudgetUsage();
        budget.RecordStart(usage, T0);
        budget.RecordStart(usage, T0.AddMinutes(7));
        Assert.Equal("waiting: budget spent (jobs 2/2 per hour)", budget.Spent(usage, T0.AddMinutes(8)));
        // The first start's bucket (from T0) leaves an hour on: one of two left.
        Assert.Equal(T0.AddHours(1), budget.FreesAt(usage, T0.AddMinutes(8)));

        budget.RecordTime(usage, T0.AddMinutes(8), 0, 100);
        // Both spent: free once the later of the two frees.
        Assert.Equal(T0.AddDays(1), budget.FreesAt(usage, T0.AddMinutes(9)));
        Assert.Equal("waiting: budget spent (gpu-seconds 100/100 per day)", budget.Spent(usage, T0.AddHours(2)));
    }

    [Fact]
    public void RecordRunning_CountsOnlyWhatIsBeyondTheCounted_SoRepeatedStaleAndFinalReportsAddUpToTheJobsTotal()
    {
        var budget = new UsageBudget(CpuSecondsPerDay: 1000, GpuSecondsPerDay: 1000);
        var usage = new BudgetUsage();

        var counted = budget.RecordRunning(usage, T0, CountedTime.None, 40, 20);
        // The same report again, then one that a later one overtook: nothing more.
        counted = budget.RecordRunning(usage, T0.AddSeconds(10), counted, 40, 20);
        counted = budget.RecordRunning(usage, T0.AddSeconds(20), counted, 30, 10);
        Assert.Equal(new CountedTime(40, 20), counted);
        Assert.Equal((40.0, 20.0), (BudgetWindow.Day.Spent(usage.CpuSeconds, T0.AddMinutes(1)), BudgetWindow.Day.Spent(usage.GpuSeconds, T0.AddMinutes(1))));

        // The job ends an hour on with 100 CPU- and 50 GPU-seconds: the rest counts in the bucket of its end.
        counted = budget.RecordRunning(usage, T0.AddHours(1), counted, 100, 50);
        Assert.Equal(new CountedTime(100, 50), counted);
        Assert.Equal([new UsageBucket(T0, 40), new UsageBucket(T0.AddHours(1), 60)], usage.CpuSeconds);
        Assert.Equal(50, BudgetWindow.Day.Spent(usage.GpuSeconds, T0.AddHours(1)));
    }

    [Fact]
    public void Budget_NoneAllowsEverything_AndKeepsNothing()
    {
        var usage = new BudgetUsage();
        UsageBudget.None.RecordStart(usage, T0);
        UsageBudget.None.RecordTime(usage, T0, 1e9, 1e9);

        Assert.True(usage.IsEmpty);
        Assert.True(UsageBudget.None.Allows(usage, T0));
        Assert.Null(UsageBudget.None.FreesAt(usage, T0));
    }

    [Fact]
    public void Prune_DropsWhatLeftEveryWindow_TrueWhenNothingIsLeft()
    {
        var budget = new UsageBudget(JobsPerHour: 5, CpuSecondsPerDay: 10);
        var usage = new BudgetUsage();
        budget.RecordStart(usage, T0);
        budget.RecordTime(usage, T0, 5, 0);

        Assert.False(UsageBudget.Prune(usage, T0.AddHours(2)));
        Assert.Empty(usage.Starts);
        Assert.True(UsageBudget.Prune(usage, T0.AddDays(1)));
    }

    [Fact]
    public void Fill_AUserOutOfBudget_IsSkippedLikeOneAtQuota_AndJobsCountAsTheyAreAdmitted()
    {
        var budget = new UsageBudget(JobsPerHour: 1);
        var spending = new Dictionary<string, BudgetUsage>();
        var broke = new BudgetUsage();
        budget.RecordStart(broke, T0);
        spending["broke"] = broke;
        var (queue, turns) = Waiting(("broke", "b1"), ("rich", "r1"), ("rich", "r2"));

        var admitted = FairAdmission.Fill(4, 5, [], queue, turns, gate: new BudgetGate(budget, spending, T0));

        // "rich" gets one job: the first admission spends their hour's budget within the same fill.
        Assert.Equal([("rich", "r1")], admitted);
        Assert.Equal(["broke", "rich"], turns);
        Assert.Equal(
            "waiting: budget spent (jobs 1/1 per hour)",
            FairAdmission.WaitReason(4, 5, 1, 0, budget.Spent(spending["broke"], T0)));
    }

    [Fact]
    public void Fill_Burst_OnlyOnceNobodyWaitingMayRunWithinTheirQuota()
    {
        var holders = new Dictionary<string, List<string>> { ["a"] = ["a0"] };
        var (queue, turns) = Waiting(("a", "a1"), ("a", "a2"), ("b", "b1"));

        var admitted = FairAdmission.Fill(4, 1, holders, queue, turns, burst: 2);

        // b, within quota, goes first though a waited first; then a takes the idle slots as burst.
        Assert.Equal([("b", "b1"), ("a", "a1"), ("a", "a2")], admitted);
        Assert.Equal([("a", "a2"), ("a", "a1")], FairAdmission.BurstJobs(holders, 1));
    }

    [Fact]
    public void Fill_Burst_NeverBeyondQuotaPlusBurst_NorTheCap()
    {
        var holders = new Dictionary<string, List<string>>();
        var (queue, turns) = Waiting(("a", "a1"), ("a", "a2"), ("a", "a3"), ("a", "a4"));

        Assert.Equal([("a", "a1"), ("a", "a2")], FairAdmission.Fill(10, 1, holders, queue, turns, burst: 1));
        Assert.Equal([("a", "a3")], FairAdmission.Fill(3, 1, holders, queue, turns, burst: 5));
    }

    [Fact]
    public void Fill_NoBurst_StopsAtTheQuota()
    {
        var holders = new Dictionary<string, List<string>>();
        var (queue, turns) = Waiting(("a", "a1"), ("a", "a2"));

        Assert.Equal([("a", "a1")], FairAdmission.Fill(4, 1, holders, queue, turns));
    }

    [Fact]
    public void BurstJobs_AreEachUsersJobsBeyondTheirQuota_NewestFirst()
    {
        var holders = new Dictionary<string, List<string>> { ["a"] = ["a0", "a1", "a2"], ["b"] = ["b0"] };

        Assert.Equal([("a", "a2"), ("a", "a1")], FairAdmission.BurstJobs(holders, 1));
        Assert.Empty(FairAdmission.BurstJobs(holders, 3));
    }

    private static (WaitingQueue Queue, List<string> Turns) Waiting(params (string User, string JobId)[] jobs)
    {
        var queue = new WaitingQueue();
        var turns = new List<string>();
        var seq = 0;
        foreach (var (user, jobId) in jobs)
        {
            FairAdmission.Wait(queue, turns, new WaitingJob(jobId, user, Corral.Jobs.JobPriority.Normal, seq++, T0));
        }

        return (queue, turns);
    }
}
