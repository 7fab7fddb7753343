using System.Globalization;

namespace Corral.HostAgent.Egress;

/// <summary>
/// What a job's chain says about its traffic, read from the counters by each rule's role (see <see cref="EgressRules"/>).
/// </summary>
/// <param name="AttemptedBytes">Bytes the job tried to send to counted destinations, dropped ones included.</param>
/// <param name="DroppedBytes">Bytes the kernel dropped because the quota was spent.</param>
/// <param name="DroppedPackets">Packets the kernel dropped because the quota was spent.</param>
/// <param name="ArmedAllowance">The allowance the quota match was armed with; null without a quota.</param>
/// <param name="AllowanceUsed">Bytes let through by the quota match since it was armed.</param>
/// <param name="AllowanceRuleNumber">The 1-based position of the allowance rule (for re-arming it); 0 without one.</param>
public sealed record EgressReading(
    long AttemptedBytes,
    long DroppedBytes,
    long DroppedPackets,
    long? ArmedAllowance,
    long AllowanceUsed,
    int AllowanceRuleNumber)
{
    public static EgressReading None { get; } = new(0, 0, 0, null, 0, 0);

    /// <summary>Bytes that left the host for counted destinations.</summary>
    public long SentBytes => AttemptedBytes - DroppedBytes;

    /// <summary>What the kernel still lets through before it drops; null without a quota.</summary>
    public long? AllowanceLeft => ArmedAllowance is { } armed ? Math.Max(0, armed - AllowanceUsed) : null;

    public static EgressReading From(IptablesChain chain)
    {
        var reading = None;
        for (var i = 0; i < chain.Rules.Count; i++)
        {
            var rule = chain.Rules[i];
            switch (rule.Comment)
            {
                case EgressRules.CountedComment:
                    reading = reading with { AttemptedBytes = rule.Bytes };
                    break;
                case EgressRules.OverQuotaComment:
                    reading = reading with { DroppedBytes = rule.Bytes, DroppedPackets = rule.Packets };
                    break;
                case { } comment when comment.StartsWith(EgressRules.AllowanceCommentPrefix, StringComparison.Ordinal):
                    reading = reading with
                    {
                        ArmedAllowance = long.Parse(comment[EgressRules.AllowanceCommentPrefix.Length..], CultureInfo.InvariantCulture),
                        AllowanceUsed = rule.Bytes,
                        AllowanceRuleNumber = i + 1,
                    };
                    break;
            }
        }

        return reading;
    }
}
