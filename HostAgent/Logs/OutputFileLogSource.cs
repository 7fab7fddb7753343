namespace Corral.HostAgent.Logs;

/// <summary>
/// Follows a job's output file (<see cref="JobOutputFiles"/>) as the job appends to it, and stops once the
/// container has exited and the file is read to its end.
/// </summary>
/// <remarks>
/// <para>
/// The file holds exactly the bytes the job wrote, stdout and stderr interleaved in the order written (both are
/// one descriptor opened for appending), so a read hands them on as they are, and <see cref="Position"/> is
/// simply the file offset after the last byte handed on: a later run opens the file there and goes on with
/// nothing lost or read twice.
/// </para>
/// <para>
/// Growth is noticed by polling: one <c>read</c> that returns 0 every <see cref="PollInterval"/> while the job is
/// quiet. inotify would fire on every write while output is heavy, which is when nobody needs to be woken. The end
/// is certain without a timeout: when a container's first process exits, the kernel kills every other process
/// in it and waits for them before the engine sees the exit, so once the exit (the task given to the
/// constructor) has completed nothing writes to the file any more, and one more read to its end sees everything.
/// </para>
/// <para>
/// A job can truncate its own output file (it holds the descriptor). Reading then starts again at the file's
/// beginning: what was stored stays stored, and what the job writes afterwards is read.
/// </para>
/// </remarks>
public sealed class OutputFileLogSource : ILogSource
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly FileStream _file;
    private readonly Task _exited;
    private bool _sawExit;

    /// <param name="path">The job's output file on this host.</param>
    /// <param name="offset">Where to start: 0, or a <see cref="Position"/> of an earlier run.</param>
    /// <param name="exited">Completes once the container has stopped.</param>
    public OutputFileLogSource(string path, long offset, Task exited)
    {
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            // The job keeps writing, and the agent deletes the file once the job's container is gone.
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        });
        _file.Position = offset;
        _exited = exited;
    }

    public long Position => _file.Position;

    /// <summary>True once a read found the file shorter than what had been read (the job truncated it).</summary>
    public bool SawTruncation { get; private set; }

    /// <remarks>
    /// A plain synchronous read: the job just wrote the bytes into the page cache, so the read does not block, and
    /// the caller sees a completed read whenever output is waiting.
    /// </remarks>
    public async ValueTask<int> ReadAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = _file.Read(buffer);
            if (read > 0)
            {
                return read;
            }

            if (_file.Length < _file.Position)
            {
                SawTruncation = true;
                _file.Position = 0;
                continue;
            }

            if (_sawExit)
            {
                return 0;
            }

            if (_exited.IsCompleted)
            {
                // Nothing writes any more: one more read reaches the real end.
                _sawExit = true;
                continue;
            }

            await Task.WhenAny(Task.Delay(PollInterval, cancellationToken), _exited);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public void Dispose() => _file.Dispose();
}
