using Corral.Jobs;

namespace Corral.Quotas;

/// <summary>
/// Where a job's quota calls go: for a service with a cap, straight to the service's one grain, which decides every
/// admission of the service (the user's own quota grain would only pass the call on, a second hop on every job's
/// enqueue and release); for any other service, to the user's quota grain for it.
/// </summary>
public sealed class QuotaRoute
{
    private readonly string _user;
    private readonly IServiceQuotaGrain? _capped;
    private readonly IQuotaGrain _own;

    public QuotaRoute(IGrainFactory grains, QuotaOptions options, string user, string service)
    {
        _user = user;
        // A cap is a setting, never turned on or off while the silo runs, so the route is fixed for the job's life.
        _capped = options.MaxRunsFor(service) is null ? null : grains.GetGrain<IServiceQuotaGrain>(service);
        _own = grains.GetGrain<IQuotaGrain>(QuotaKey.For(user, service));
    }

    public Task<QuotaDecision> EnqueueAsync(string jobId, JobPriority priority) =>
        _capped?.EnqueueAsync(_user, jobId, priority) ?? _own.EnqueueAsync(jobId, priority);

    public Task ReleaseAsync(string jobId, double cpuSeconds, double gpuSeconds) =>
        _capped?.ReleaseAsync(_user, jobId, cpuSeconds, gpuSeconds) ?? _own.ReleaseAsync(jobId, cpuSeconds, gpuSeconds);

    /// <summary>One-way: a running job's CPU- and GPU-seconds so far (<see cref="IQuotaGrain.NoteRunningTimeAsync"/>).</summary>
    public Task NoteRunningTimeAsync(string jobId, double cpuSeconds, double gpuSeconds) =>
        _capped?.NoteRunningTimeAsync(_user, jobId, cpuSeconds, gpuSeconds) ?? _own.NoteRunningTimeAsync(jobId, cpuSeconds, gpuSeconds);

    public Task<QueueWait?> GetWaitAsync(string jobId) =>
        _capped?.GetWaitAsync(_user, jobId) ?? _own.GetWaitAsync(jobId);

    public Task<bool> IsPreemptingAsync(string jobId) => _capped?.IsPreemptingAsync(jobId) ?? _own.IsPreemptingAsync(jobId);

    public Task<bool> ReprioritizeAsync(string jobId, JobPriority priority) =>
        _capped?.ReprioritizeAsync(_user, jobId, priority) ?? _own.ReprioritizeAsync(jobId, priority);
}
