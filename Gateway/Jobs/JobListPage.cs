namespace Corral.Gateway.Jobs;

/// <summary>A page of a job list, newest first; <paramref name="NextCursor"/> asks for the next one (null: no more).</summary>
public sealed record JobListPage(IReadOnlyList<JobListItem> Items, string? NextCursor);
