namespace Corral.HostAgent.Logs;

/// <summary>
/// Follows a container's json-file log (<c>/var/lib/docker/containers/&lt;id&gt;/&lt;id&gt;-json.log</c>) the way
/// Fluent Bit and Vector do: reads the file as dockerd appends to it, decodes every complete entry
/// (<see cref="JsonLogEntry"/>) and stops once the container has exited and the file is read to its end.
/// </summary>
/// <remarks>
/// <para>
/// Why not the engine's log API: on Docker 20.10 it serves 6–9 MiB/s, a tenth of what the pump and store take;
/// reading the file costs one read per 256 KiB and a JSON decode per line.
/// </para>
/// <para>
/// Every read returns whole entries only, so <see cref="Position"/> is always the offset just after an entry, and
/// a later run can open the file there and go on with nothing lost or read twice. An
/// entry still being written (no newline yet) waits in the buffer for the next read.
/// </para>
/// <para>
/// Growth is noticed by polling: one <c>read</c> that returns 0 every <see cref="PollInterval"/> while the
/// container is quiet. inotify would fire once per line dockerd writes while output is heavy, which is when
/// nobody needs to be woken up. The end is certain without a timeout: dockerd closes the log (its copier has
/// drained the container's pipes) before the container's state becomes exited, so once the exit
/// (the task given to the constructor) has completed, one more read to the end of the file sees everything.
/// </para>
/// <para>
/// The file is never rotated (<c>max-size</c> is not set; see <see cref="LogSourceSelector"/>): rotation would
/// rename it under the reader.
/// </para>
/// </remarks>
public sealed class JsonFileLogSource : ILogSource
{
    /// <summary>Largest entry accepted; dockerd writes at most 16 KiB of output per entry (96 KiB once escaped).</summary>
    public const int MaxEntryBytes = 256 * 1024;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    // Per job, so kept small: a read this size costs one syscall per 256 KiB, nothing next to decoding it.
    private const int FileReadBytes = 256 * 1024;

    private readonly FileStream _file;
    private readonly Task _exited;
    private readonly byte[] _raw = new byte[FileReadBytes + MaxEntryBytes];

    // Read from the file and not yet decoded: _raw[_start.._end], the first byte at file offset _position.
    private int _start;
    private int _end;
    private long _position;
    private bool _sawExit;

    /// <param name="path">The container's <c>LogPath</c>.</param>
    /// <param name="offset">Where to start: 0, or a <see cref="Position"/> of an earlier run.</param>
    /// <param name="exited">Completes once the container has stopped (and so dockerd has closed the file).</param>
    public JsonFileLogSource(string path, long offset, Task exited)
    {
        _file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            // dockerd keeps writing, and removing the container deletes the file while it may still be open here.
            Share = FileShare.ReadWrite | FileShare.Delete,
            BufferSize = 0,
            Options = FileOptions.SequentialScan,
        });
        _file.Position = offset;
        _position = offset;
        _exited = exited;
    }

    public long? Position => _position;

    public async ValueTask<int> ReadAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            var written = DecodeWholeEntries(buffer);
            if (written > 0)
            {
                return written;
            }

            if (ReadFile() > 0)
            {
                continue;
            }

            if (_sawExit)
            {
                if (_end > _start)
                {
                    throw new InvalidDataException(
                        $"the log file ends inside an entry ({_end - _start} bytes after offset {_position} have no newline)");
                }

                return 0;
            }

            if (_exited.IsCompleted)
            {
                // Everything was written before the exit: one more read reaches the real end.
                _sawExit = true;
                continue;
            }

            await Task.WhenAny(Task.Delay(PollInterval, cancellationToken), _exited);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Decodes the complete entries waiting in the buffer into <paramref name="output"/>, as many as fit.</summary>
    private int DecodeWholeEntries(byte[] output)
    {
        var written = 0;
        while (_start < _end)
        {
            var pending = _raw.AsSpan(_start, _end - _start);
            var newline = pending.IndexOf((byte)'\n');
            if (newline < 0)
            {
                break;
            }

            if (!JsonLogEntry.TryDecode(pending[..newline], output.AsSpan(written), out var length))
            {
                if (written == 0)
                {
                    throw new InvalidDataException($"a log entry of {newline} bytes does not fit a read of {output.Length} bytes");
                }

                break;
            }

            written += length;
            _start += newline + 1;
            _position += newline + 1;
        }

        return written;
    }

    /// <summary>Appends what the file has beyond what was read; keeps an unfinished entry at the buffer's start.</summary>
    /// <remarks>
    /// A plain synchronous read: the file is in the page cache dockerd just wrote it to, so the read does not
    /// block, and the caller sees a completed read whenever output is waiting.
    /// </remarks>
    private int ReadFile()
    {
        if (_start > 0)
        {
            _raw.AsSpan(_start, _end - _start).CopyTo(_raw);
            _end -= _start;
            _start = 0;
        }

        if (_end == _raw.Length)
        {
            throw new InvalidDataException($"a log entry at offset {_position} is longer than {_raw.Length} bytes");
        }

        var read = _file.Read(_raw.AsSpan(_end, Math.Min(FileReadBytes, _raw.Length - _end)));
        _end += read;
        return read;
    }
}
