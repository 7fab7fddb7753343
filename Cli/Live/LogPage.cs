namespace Corral.Cli.Live;

/// <summary>
/// A page of a job's stored output as the hub answers watchLogs and readLogsBefore: from byte FirstOffset of chunk
/// FirstSeq to the end of chunk LastSeq (both -1 when there is nothing); HasEarlier: output exists before it.
/// </summary>
public sealed record LogPage(long FirstSeq, int FirstOffset, long LastSeq, string Text, bool HasEarlier);
