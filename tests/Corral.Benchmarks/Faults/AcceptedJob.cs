namespace Corral.Benchmarks.Faults;

/// <summary>A submission the API accepted (202): the job that must exist and end exactly once.</summary>
public sealed record AcceptedJob(string Id, string User, string Service);
