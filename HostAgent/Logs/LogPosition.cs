namespace Corral.HostAgent.Logs;

/// <summary>
/// Where a stored chunk ends in its source: the byte offset in the job's output file (<see cref="JobOutputFiles"/>)
/// just after the chunk's last byte, and the ANSI stripper's state there (<see cref="AnsiStripper.Checkpoint"/>). Stored
/// with the chunk, in the same row, so a restarted agent goes on from exactly there.
/// </summary>
public readonly record struct LogPosition(long FileOffset, int StripperCheckpoint);
