using Microsoft.Extensions.Logging;
using Npgsql;

namespace Corral.HostAgent;

/// <summary>
/// Runs a database operation again while PostgreSQL is away (a restart, a failover: Npgsql calls the failure
/// transient), waiting 0.2 s, then twice as long each time up to 2 s, until it succeeds or the agent stops. The
/// longest wait is how late a job's output can be stored after the database is back (a job that ended during the
/// outage holds its slot until then), so it is kept short: a try against a database that is down fails at once.
/// Only for operations that are safe to repeat: a retried insert must not store its row twice.
/// </summary>
public static partial class DatabaseRetry
{
    public static readonly TimeSpan FirstWait = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(2);

    public static async Task<T> RunAsync<T>(string what, Func<CancellationToken, Task<T>> operation, ILogger logger, CancellationToken cancellationToken)
    {
        var wait = FirstWait;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await operation(cancellationToken);
            }
            catch (NpgsqlException error) when (error.IsTransient && !cancellationToken.IsCancellationRequested)
            {
                LogRetrying(logger, what, attempt, wait.TotalSeconds, error.Message);
                await Task.Delay(wait, cancellationToken);
                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, LongestWait.Ticks));
            }
        }
    }

    public static Task RunAsync(string what, Func<CancellationToken, Task> operation, ILogger logger, CancellationToken cancellationToken) =>
        RunAsync(what, async token =>
        {
            await operation(token);
            return true;
        }, logger, cancellationToken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The database is unavailable for {What} (attempt {Attempt}); retrying in {Seconds} s: {Error}")]
    private static partial void LogRetrying(ILogger logger, string what, int attempt, double seconds, string error);
}
