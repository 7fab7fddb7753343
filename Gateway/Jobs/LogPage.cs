namespace Corral.Gateway.Jobs;

/// <summary>
/// Part of a job's log: from byte <paramref name="FirstOffset"/> of chunk <paramref name="FirstSeq"/> to the end of
/// chunk <paramref name="LastSeq"/> (or to where the page was asked to end); both seqs -1 when there is nothing.
/// <paramref name="HasEarlier"/>: output exists before it (ask for the page before (FirstSeq, FirstOffset)).
/// </summary>
public sealed record LogPage(long FirstSeq, int FirstOffset, long LastSeq, string Text, bool HasEarlier);
