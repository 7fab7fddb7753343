using Npgsql;

namespace Corral.Hosting.Faults;

/// <summary>
/// The one decision whether a failure is the database's (an Npgsql exception anywhere in its chain of causes), and
/// its form that crosses a grain call (<see cref="DatabaseUnavailableException"/>). Used by the call filter
/// (<see cref="DatabaseExceptionFilter"/>) and by the stores' reads while a grain activates, which no call filter sees.
/// </summary>
public static class DatabaseFailure
{
    /// <summary>The Npgsql exception in an exception's chain of causes (Orleans' storage bridge wraps the provider's; an AggregateException's inner one is its first).</summary>
    public static NpgsqlException? FindNpgsql(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            if (current is NpgsqlException npgsql)
            {
                return npgsql;
            }
        }

        return null;
    }

    /// <summary>
    /// The failure as a caller in another process can receive it: its Npgsql cause's type, message and transience,
    /// without the cause itself (which has no codec); null when it is not a database failure.
    /// </summary>
    public static DatabaseUnavailableException? AsUnavailable(Exception error) =>
        FindNpgsql(error) is { } database
            ? new DatabaseUnavailableException($"{database.GetType().Name}: {database.Message}", database.IsTransient)
            : null;
}
