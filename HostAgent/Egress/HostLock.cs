namespace Corral.HostAgent.Egress;

/// <summary>
/// Serialises changes to the shared egress chains (the entry chain and its hook) across threads and across agent
/// processes on one host, with an exclusive lock on a file. Two agents inserting the hook at once would leave two
/// hooks, and every byte would be counted twice.
/// </summary>
public sealed class HostLock(string path)
{
    public const string DefaultPath = "/run/lock/corral-egress.lock";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _local = new(1, 1);

    public HostLock()
        : this(DefaultPath)
    {
    }

    public async Task<IDisposable> AcquireAsync(CancellationToken cancellationToken)
    {
        await _local.WaitAsync(cancellationToken);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var deadline = DateTime.UtcNow + Patience;
            while (true)
            {
                try
                {
                    // FileShare.None takes an exclusive flock(2) on Linux, which other processes honour.
                    var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                    return new Held(file, _local);
                }
                catch (IOException) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(RetryDelay, cancellationToken);
                }
            }
        }
        catch
        {
            _local.Release();
            throw;
        }
    }

    private sealed class Held(FileStream file, SemaphoreSlim local) : IDisposable
    {
        public void Dispose()
        {
            file.Dispose();
            local.Release();
        }
    }
}
