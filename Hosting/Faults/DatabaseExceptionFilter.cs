namespace Corral.Hosting.Faults;

/// <summary>
/// Turns a PostgreSQL failure escaping a grain call into <see cref="DatabaseUnavailableException"/>
/// (<see cref="DatabaseFailure.AsUnavailable"/>), so the caller (another grain or the gateway) learns that the database
/// failed and whether to retry, rather than a fallback exception it cannot classify.
/// </summary>
public sealed class DatabaseExceptionFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception error) when (DatabaseFailure.AsUnavailable(error) is { } outage)
        {
            throw outage;
        }
    }
}
