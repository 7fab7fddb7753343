namespace Corral.Gateway.Operations;

/// <summary>What an admin's operations view shows besides the workers: jobs not yet ended per service, and why recent jobs failed.</summary>
public sealed record ClusterOverview(IReadOnlyList<ServiceLoad> Services, IReadOnlyList<FailureCount> RecentFailures, TimeSpan FailuresWindow);

/// <summary>A service's jobs not yet ended, by status: queued is its queue depth (over all users).</summary>
public sealed record ServiceLoad(string Service, long Queued, long Pending, long Starting, long Running);

/// <summary>Jobs submitted within the window that ended for <paramref name="Reason"/> (the API's word), and the latest of them.</summary>
public sealed record FailureCount(string Reason, long Jobs, DateTimeOffset LastFinishedAt, string LastJobId);
