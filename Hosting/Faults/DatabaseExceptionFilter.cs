using Npgsql;

namespace Corral.Hosting.Faults;

/// <summary>
/// Turns a PostgreSQL failure escaping a grain call into <see cref="DatabaseUnavailableException"/>, so the caller
/// (another grain or the gateway) learns that the database failed and whether to retry, rather than a fallback
/// exception it cannot classify.
/// </summary>
public sealed class DatabaseExceptionFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception error) when (FindNpgsql(error) is { } database)
        {
            throw new DatabaseUnavailableException($"{database.GetType().Name}: {database.Message}", database.IsTransient);
        }
    }

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
}
