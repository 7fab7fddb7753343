namespace Corral.Quotas;

[GenerateSerializer, Alias("corral.quota-state")]
public sealed class QuotaState
{
    /// <summary>Jobs waiting for a slot, oldest first.</summary>
    [Id(0)] public List<string> Queue { get; set; } = [];

    /// <summary>Jobs holding a slot, from admission until they end.</summary>
    [Id(1)] public List<string> Holders { get; set; } = [];

    /// <summary>The priority of each waiting job that is not normal (the queue is ordered by it).</summary>
    [Id(2)] public Dictionary<string, Corral.Jobs.JobPriority> Priorities { get; set; } = [];
}
