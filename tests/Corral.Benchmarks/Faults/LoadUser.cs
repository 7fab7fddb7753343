namespace Corral.Benchmarks.Faults;

/// <summary>A user of the load, with the token it submits with.</summary>
public sealed record LoadUser(string Name, string Token);
