namespace Corral.Gateway.Jobs;

/// <summary>
/// Whole chunks <paramref name="FirstSeq"/>..<paramref name="LastSeq"/> of a job's log (both -1 when there are
/// none), and whether older chunks exist before <paramref name="FirstSeq"/>.
/// </summary>
public sealed record LogPage(long FirstSeq, long LastSeq, string Text, bool HasEarlier);
