namespace Corral.HostAgent.Logs;

/// <summary>
/// Where a stored chunk ends in its source: the byte offset in the container's json-file log just after the last
/// entry the chunk holds, and the ANSI stripper's state there (<see cref="AnsiStripper.Checkpoint"/>). Stored
/// with the chunk, in the same row, so a restarted agent goes on from exactly there.
/// </summary>
public readonly record struct LogPosition(long FileOffset, int StripperCheckpoint);
