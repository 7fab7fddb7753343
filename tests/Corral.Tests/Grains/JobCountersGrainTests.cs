using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>A job's counters (log bytes, egress) as its agent reports them: final figures in the outcome, totals never backwards.</summary>
[Collection(JobRetryGrainTests.Name)]
public sealed class JobCountersGrainTests(InMemoryClusterFixture fixture)
{
    private readonly WorkerGrainsTestKit _kit = new(fixture);

    [Fact]
    public async Task TheFinalCounters_ComeWithTheOutcome_AndAreKeptWithTheEnd()
    {
        await _kit.RegisterAsync("counters-final", cpu: 4);
        var id = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "counters", 1);
        var worker = await RunOnItsWorkerAsync(id);
        await _kit.Job(id).ReportCountersAsync(new JobCounters(100, 100, 1_000));

        await _kit.Job(id).CompleteAsync(worker, new JobOutcome(0, null, null, Attempt: 1, Counters: new JobCounters(250, 250, 4_000)));

        var done = (await _kit.Job(id).GetAsync())!;
        Assert.Equal((JobStatus.Succeeded, 250L, 4_000L), (done.Status, done.LogBytesTotal, done.EgressBytes));
    }

    [Fact]
    public async Task AReportThatOvertookALaterOne_NeverTurnsTheTotalsBack()
    {
        await _kit.RegisterAsync("counters-order", cpu: 4);
        var id = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "counters", 1);
        await RunOnItsWorkerAsync(id);

        await _kit.Job(id).ReportCountersAsync(new JobCounters(500, 500, 9_000));
        await _kit.EventuallyAsync(id, v => v.EgressBytes == 9_000);
        // Reports are one-way: the stale one, then one that moves egress on but carries a stale log total.
        await _kit.Job(id).ReportCountersAsync(new JobCounters(300, 300, 6_000));
        await _kit.Job(id).ReportCountersAsync(new JobCounters(300, 300, 9_500));

        var view = await _kit.EventuallyAsync(id, v => v.EgressBytes != 9_000);
        Assert.Equal((500L, 9_500L), (view.LogBytesTotal, view.EgressBytes));
    }

    private async Task<string> RunOnItsWorkerAsync(string id)
    {
        var starting = await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Starting && RecordingHostGrain.Launches.ContainsKey(id));
        await _kit.Job(id).ReportRunningAsync(starting.Worker!, null);
        return starting.Worker!;
    }
}
