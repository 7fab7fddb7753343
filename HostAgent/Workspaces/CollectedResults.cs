namespace Corral.HostAgent.Workspaces;

/// <summary>What one collection stored: files and bytes, and the entries it left out with why.</summary>
public sealed record CollectedResults(int Files, long Bytes, IReadOnlyList<string> Skipped);
