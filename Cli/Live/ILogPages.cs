namespace Corral.Cli.Live;

/// <summary>The hub's log reads (watchLogs, readLogsBefore); a test gives a log of its own.</summary>
public interface ILogPages
{
    /// <summary>Starts live output of the job and answers the last page stored so far.</summary>
    Task<LogPage> WatchAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>The page that ends just before byte <paramref name="offset"/> of chunk <paramref name="seq"/>.</summary>
    Task<LogPage> ReadBeforeAsync(string jobId, long seq, int offset, CancellationToken cancellationToken);
}
