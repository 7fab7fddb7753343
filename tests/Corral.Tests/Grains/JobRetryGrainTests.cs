using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>
/// A job whose container is gone from its worker (the worker-lost path of the job grain's health check), with and
/// without the spec's retry: the real job, dispatcher and worker grains, and the recording host grain.
/// </summary>
[Collection(Name)]
public sealed class JobRetryGrainTests(InMemoryClusterFixture fixture)
{
    public const string Name = "in-memory cluster with workers (retries)";

    private readonly WorkerGrainsTestKit _kit = new(fixture);

    [Fact]
    public async Task LostJobWithRetry_RunsAgainUnderItsId_AndOnlyTheNewAttemptCanComplete()
    {
        await _kit.RegisterAsync("retry", cpu: 4);
        var id = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "retries", 1, new RetryPolicy(true, 3));
        var first = await RunOnItsWorkerAsync(id);

        await LoseContainerAsync(id);

        var again = await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Starting && v.Attempt == 2);
        var worker = again.Worker!;
        Assert.Equal(2, RecordingHostGrain.Launches[id].Attempt);
        Assert.Contains(again.History, h => h.Status == JobStatus.Pending
            && h.Message == $"attempt 2 of 3: worker '{first}' was lost (the container is gone from worker '{first}')");
        // The first attempt's container reports last: it is not this attempt's, so nothing changes.
        await _kit.Job(id).CompleteAsync(worker, new JobOutcome(1, TerminationReason.ExitCode, "exited with code 1", Attempt: 1));
        Assert.Equal(JobStatus.Starting, (await _kit.Job(id).GetAsync())!.Status);

        await _kit.Job(id).ReportRunningAsync(worker, null);
        await _kit.Job(id).CompleteAsync(worker, new JobOutcome(0, null, null, Attempt: 2));

        var done = (await _kit.Job(id).GetAsync())!;
        Assert.Equal((JobStatus.Succeeded, 2), (done.Status, done.Attempt));
        Assert.Equal(
            [JobStatus.Queued, JobStatus.Pending, JobStatus.Starting, JobStatus.Running, JobStatus.Pending, JobStatus.Starting, JobStatus.Running, JobStatus.Succeeded],
            done.History.Select(h => h.Status));
        Assert.DoesNotContain(id, (await fixture.Grains.GetGrain<Corral.Workers.IWorkerGrain>(worker).GetAsync())!.Jobs);
    }

    [Fact]
    public async Task LostJob_AfterItsLastAttempt_FailsWorkerLost()
    {
        await _kit.RegisterAsync("last", cpu: 4);
        var id = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "retries", 1, new RetryPolicy(true, 2));
        await RunOnItsWorkerAsync(id);
        await LoseContainerAsync(id);
        await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Starting && v.Attempt == 2);
        await RunOnItsWorkerAsync(id);

        await LoseContainerAsync(id);

        var done = await _kit.EventuallyAsync(id, v => v.FinishedAt is not null);
        Assert.Equal((JobStatus.Failed, TerminationReason.WorkerLost, 2), (done.Status, done.TerminationReason, done.Attempt));
        Assert.EndsWith("(attempt 2 of 2)", done.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LostJobWithoutRetry_FailsWorkerLost_AsBefore()
    {
        await _kit.RegisterAsync("noretry", cpu: 4);
        var id = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "retries", 1);
        await RunOnItsWorkerAsync(id);

        await LoseContainerAsync(id);

        var done = await _kit.EventuallyAsync(id, v => v.FinishedAt is not null);
        Assert.Equal((JobStatus.Failed, TerminationReason.WorkerLost, 1), (done.Status, done.TerminationReason, done.Attempt));
        Assert.StartsWith("the container is gone from worker", done.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContainerLostToAnEngineRestart_RunsAgainWithRetry_AndFailsWorkerLostWithout()
    {
        await _kit.RegisterAsync("engine", cpu: 4);
        var retried = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "retries", 1, new RetryPolicy(true, 2));
        var plain = await _kit.SubmitAsync(WorkerGrainsTestKit.NewUser(), "retries", 1);
        const string why = "the Docker engine on worker 'w' stopped while the job ran and ended its container (exit code 143)";

        // Their agent reports what it saw: the engine ended the containers (a restart without live-restore).
        var worker = await RunOnItsWorkerAsync(retried);
        await _kit.Job(retried).CompleteAsync(worker, new JobOutcome(143, TerminationReason.WorkerLost, why, Attempt: 1));
        var plainWorker = await RunOnItsWorkerAsync(plain);
        await _kit.Job(plain).CompleteAsync(plainWorker, new JobOutcome(143, TerminationReason.WorkerLost, why, Attempt: 1));

        var again = await _kit.EventuallyAsync(retried, v => v.Status == JobStatus.Starting && v.Attempt == 2);
        Assert.Null(again.FinishedAt);
        Assert.Contains(again.History, h => h.Status == JobStatus.Pending && h.Message == $"attempt 2 of 2: worker '{worker}' was lost ({why})");
        var failed = (await _kit.Job(plain).GetAsync())!;
        Assert.Equal((JobStatus.Failed, TerminationReason.WorkerLost, why), (failed.Status, failed.TerminationReason, failed.Message));
        Assert.DoesNotContain(plain, (await fixture.Grains.GetGrain<Corral.Workers.IWorkerGrain>(plainWorker).GetAsync())!.Jobs);
    }

    /// <summary>Waits for the job's launch and reports it running, as its agent would; returns its worker.</summary>
    private async Task<string> RunOnItsWorkerAsync(string id)
    {
        var starting = await _kit.EventuallyAsync(id, v => v.Status == JobStatus.Starting && RecordingHostGrain.Launches.ContainsKey(id));
        await _kit.Job(id).ReportRunningAsync(starting.Worker!, null);
        return starting.Worker!;
    }

    /// <summary>The container vanishes from the (live) worker; the job's health check notices it.</summary>
    private async Task LoseContainerAsync(string id)
    {
        RecordingHostGrain.Launches.TryRemove(id, out _);
        await _kit.Job(id).ReconcileAsync();
    }
}

[CollectionDefinition(JobRetryGrainTests.Name)]
public sealed class JobRetryCollection : ICollectionFixture<InMemoryClusterFixture>;
