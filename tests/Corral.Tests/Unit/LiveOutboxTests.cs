using System.Threading.Channels;
using Corral.Gateway.Live;
using Corral.Jobs;
using Corral.Quotas;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Corral.Tests.Unit;

/// <summary>
/// The gateway's outbox with a clock that moves only when a test moves it: what is held, what replaces it, and
/// in which order events go out.
/// </summary>
public sealed class LiveOutboxTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    /// <summary>Long enough for the sending loop to have sent anything it was going to send.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    private readonly FakeTimeProvider _clock = new(Start);
    private readonly Channel<LiveEvent> _sent = Channel.CreateUnbounded<LiveEvent>();
    private readonly LiveOutbox _outbox;

    public LiveOutboxTests()
    {
        _outbox = new LiveOutbox(e => _sent.Writer.WriteAsync(e).AsTask(), _clock, NullLogger.Instance);
    }

    public void Dispose() => _outbox.Dispose();

    [Fact]
    public async Task APendingView_FollowedByTheNextStep_IsSentOnlyAsThatStep()
    {
        _outbox.Post(new JobViewEvent(View("a", JobStatus.Queued, JobStatus.Pending)));
        await AssertNothingSentAsync();

        _outbox.Post(new JobViewEvent(View("a", JobStatus.Queued, JobStatus.Pending, JobStatus.Starting)));

        var sent = Assert.IsType<JobViewEvent>(await NextAsync());
        Assert.Equal(JobStatus.Starting, sent.Job.Status);
        Assert.Equal([JobStatus.Queued, JobStatus.Pending, JobStatus.Starting], sent.Job.History.Select(h => h.Status));
        _clock.Advance(LiveOutbox.PendingHold * 2);
        await AssertNothingSentAsync();
    }

    [Fact]
    public async Task APendingView_NothingFollows_IsSentWhenItsHoldEnds()
    {
        _outbox.Post(new JobViewEvent(View("a", JobStatus.Queued, JobStatus.Pending)));
        // The outbox's loop must have set its timer (from this clock's now) before the clock moves: on a loaded machine
        // it may not have run yet, and a timer set after the move would end later than this test advances.
        await AssertNothingSentAsync();
        _clock.Advance(LiveOutbox.PendingHold - TimeSpan.FromMilliseconds(1));
        await AssertNothingSentAsync();

        _clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(JobStatus.Pending, Assert.IsType<JobViewEvent>(await NextAsync()).Job.Status);
    }

    [Fact]
    public async Task QuotaUsages_InOneHold_GoOutOnceWithTheLatestFigure_AfterTheJobEvents()
    {
        _outbox.Post(new QuotaUsageEvent("alice", new QuotaUsage("example", 5, 1, 0)));
        _outbox.Post(new QuotaUsageEvent("alice", new QuotaUsage("example", 5, 2, 0)));
        _outbox.Post(new QuotaUsageEvent("alice", new QuotaUsage("other", 1, 1, 3)));
        _outbox.Post(new JobViewEvent(View("a", JobStatus.Queued, JobStatus.Pending, JobStatus.Starting, JobStatus.Cancelled)));

        Assert.Equal(JobStatus.Cancelled, Assert.IsType<JobViewEvent>(await NextAsync()).Job.Status);
        await AssertNothingSentAsync();
        // A newer figure does not push the first one's hold further back.
        _clock.Advance(LiveOutbox.QuotaHold / 2);
        _outbox.Post(new QuotaUsageEvent("alice", new QuotaUsage("example", 5, 3, 0)));
        // As above: the loop takes the post (and sets its timer from this clock's now) before the clock moves.
        await AssertNothingSentAsync();
        _clock.Advance(LiveOutbox.QuotaHold / 2);

        var first = Assert.IsType<QuotaUsageEvent>(await NextAsync());
        var second = Assert.IsType<QuotaUsageEvent>(await NextAsync());
        Assert.Equal(new QuotaUsage("example", 5, 3, 0), first.Usage);
        Assert.Equal(new QuotaUsage("other", 1, 1, 3), second.Usage);
        await AssertNothingSentAsync();
    }

    [Fact]
    public async Task EventsThatAreNotHeld_GoOutAtOnce_InTheOrderPosted()
    {
        _outbox.Post(new JobViewEvent(View("a", JobStatus.Queued)));
        _outbox.Post(new JobViewEvent(View("b", JobStatus.Queued, JobStatus.Pending, JobStatus.Starting)));
        _outbox.Post(new JobViewEvent(View("c", JobStatus.Queued, JobStatus.Pending, JobStatus.Starting, JobStatus.Running)));

        Assert.Equal(["a", "b", "c"], [Id(await NextAsync()), Id(await NextAsync()), Id(await NextAsync())]);
    }

    [Fact]
    public async Task AFailedSend_DoesNotStopTheOutbox()
    {
        var calls = 0;
        using var outbox = new LiveOutbox(
            e => ++calls == 1 ? throw new InvalidOperationException("socket gone") : _sent.Writer.WriteAsync(e).AsTask(),
            _clock,
            NullLogger.Instance);

        outbox.Post(new JobViewEvent(View("a", JobStatus.Queued)));
        outbox.Post(new JobViewEvent(View("b", JobStatus.Queued)));

        Assert.Equal("b", Id(await NextAsync()));
    }

    private static string Id(LiveEvent sent) => Assert.IsType<JobViewEvent>(sent).Job.Id;

    private async Task<LiveEvent> NextAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        return await _sent.Reader.ReadAsync(timeout.Token);
    }

    private async Task AssertNothingSentAsync()
    {
        await Task.Delay(Settle);
        Assert.False(_sent.Reader.TryRead(out var sent), $"sent {sent?.Key} too early");
    }

    private static JobView View(string id, params JobStatus[] steps) => new(
        id, "alice", "example", JobKind.Batch, steps[^1], null, null, null, null, null, Start, null, null,
        ResourceRequest.None, null, 0, 0, 0, null, "corral/busybox:latest", ["true"],
        [.. steps.Select((status, i) => new JobTransition(status, Start.AddSeconds(i), null))]);
}
