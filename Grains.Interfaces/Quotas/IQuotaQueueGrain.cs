using Orleans.Concurrency;

namespace Corral.Quotas;

/// <summary>
/// A quota grain that keeps jobs waiting in its queue (<see cref="IQuotaGrain"/>, or <see cref="IServiceQuotaGrain"/>
/// for a capped service), stored by its grain id: the job reconciler wakes it by that id.
/// </summary>
public interface IQuotaQueueGrain : IGrainWithStringKey
{
    /// <summary>A spent budget's window moved on (the grain's budget timer): admits the waiting jobs that may now run.</summary>
    Task RecheckBudgetsAsync();

    /// <summary>
    /// One-way <see cref="RecheckBudgetsAsync"/> for the job reconciler: after a restart, or once the grain went idle, its
    /// activation arms its budget timer again, and it admits whoever may run; its waiting jobs are not woken one by one.
    /// </summary>
    [OneWay]
    Task WakeAsync();
}
