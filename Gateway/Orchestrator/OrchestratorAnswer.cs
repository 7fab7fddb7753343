namespace Corral.Gateway.Orchestrator;

/// <summary>job-orchestrator's answer body: <c>{"id","status","message"}</c>; an error has id 0 and status "Unknown".</summary>
public sealed record OrchestratorAnswer(object Id, string Status, string Message)
{
    public static OrchestratorAnswer Error(string message) => new(0, "Unknown", message);
}
