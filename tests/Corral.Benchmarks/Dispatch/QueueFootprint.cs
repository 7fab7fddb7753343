using Corral.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;

namespace Corral.Benchmarks.Dispatch;

/// <summary>What a waiting job costs in the quota queue.</summary>
/// <remarks>
/// <see cref="Queued"/> jobs are queued through the real QuotaGrain
/// (spread over every user and service pair, as a busy cluster would hold them), then each grain's state is encoded
/// with the storage serializer the production silo uses; its length is what every change of the quota rewrites. The
/// waiting jobs are rows of their own (<see cref="IWaitingJobStore"/>), outside that state: the queue suite measures them.
/// </remarks>
public static class QueueFootprint
{
    public const int Queued = 100_000;

    /// <summary>Bytes of quota state rewritten per change, per job the quota holds or has waiting, at <see cref="Queued"/> queued jobs.</summary>
    public static async Task<double> PersistedBytesPerJobAsync(BenchmarkSilo silo, BenchmarkReport report)
    {
        var limit = QuotaOptions.DefaultLimit;
        var pairs = DispatchShape.Default.Users * DispatchShape.Default.Services;
        var perPair = Queued / pairs + limit;
        var keys = Enumerable.Range(0, pairs).Select(i => QuotaKey.For($"queue-u{i / DispatchShape.Default.Services:00}", $"svc-{(char)('a' + i % DispatchShape.Default.Services)}")).ToList();
        report.Note($"queue: {perPair} jobs into each of {pairs} quota grains ({Queued} waiting, {pairs * limit} holding)");
        await Task.WhenAll(keys.Select(async key =>
        {
            var quota = silo.Grains.GetGrain<IQuotaGrain>(key);
            for (var i = 0; i < perPair; i++)
            {
                await quota.EnqueueAsync(Guid.CreateVersion7().ToString("N"));
            }
        }));

        var storage = silo.Services.GetRequiredKeyedService<IGrainStorage>(GrainStorage.Name);
        var serializer = new OrleansGrainStorageSerializer(silo.Services.GetRequiredService<Orleans.Serialization.Serializer>());
        var waiting = silo.Services.GetRequiredService<IWaitingJobStore>();
        long bytes = 0;
        long jobs = 0;
        foreach (var key in keys)
        {
            var state = new GrainState<QuotaState>();
            await storage.ReadStateAsync("quota", silo.Grains.GetGrain<IQuotaGrain>(key).GetGrainId(), state);
            var quota = state.State ?? throw new InvalidOperationException($"quota grain {key} has no stored state");
            var rows = await waiting.LoadAsync(silo.Grains.GetGrain<IQuotaGrain>(key).GetGrainId());
            jobs += rows.Count + quota.Holders.Count;
            bytes += serializer.Serialize(quota).ToMemory().Length;
        }

        if (jobs != (long)perPair * pairs)
        {
            throw new InvalidOperationException($"the quota grains hold {jobs} jobs, {perPair * pairs} were queued");
        }

        return bytes / (double)jobs;
    }

    /// <summary>Managed heap held per job id in a queue of <see cref="Queued"/> (a list of 32-character ids).</summary>
    public static double HeapBytesPerJob()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var queue = new List<string>();
        for (var i = 0; i < Queued; i++)
        {
            queue.Add(Guid.CreateVersion7().ToString("N"));
        }

        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(queue);
        return (after - before) / (double)Queued;
    }
}
