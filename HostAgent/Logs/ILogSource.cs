namespace Corral.HostAgent.Logs;

/// <summary>A container's raw output (stdout and stderr interleaved, escapes not yet stripped), read in order.</summary>
public interface ILogSource : IDisposable
{
    /// <summary>
    /// Reads the next output into <paramref name="buffer"/> and returns how many bytes it wrote; 0 once the
    /// output has ended. Completes synchronously whenever output is already waiting, so a caller can tell
    /// "more is buffered" from "the container is quiet" by whether the returned task is complete.
    /// </summary>
    ValueTask<int> ReadAsync(byte[] buffer, CancellationToken cancellationToken);

    /// <summary>Where the output read so far ends in the job's output file, for an exact resume after a restart.</summary>
    long Position { get; }
}
