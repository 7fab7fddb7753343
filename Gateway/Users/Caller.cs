namespace Corral.Gateway.Users;

/// <summary>A signed-in caller. A portal (job-orchestrator compatibility) may submit on POST /upload for any user.</summary>
public sealed record Caller(string Name, bool IsAdmin, bool IsPortal = false);
