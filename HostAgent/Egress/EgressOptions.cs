namespace Corral.HostAgent.Egress;

/// <summary>How the egress meter runs (not a user setting: the quota and exclusions are in <see cref="HostAgentSettings"/>).</summary>
/// <param name="PollInterval">
/// How often the counters are read, <c>egressBytes</c> updated and a job over its quota ended. The kernel stops the
/// traffic at the quota whatever this is; it only sets how soon the job is told.
/// </param>
public sealed record EgressOptions(TimeSpan PollInterval)
{
    public static EgressOptions Default { get; } = new(TimeSpan.FromSeconds(1));
}
