using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Corral.Gateway.Api;

/// <summary>
/// Answers an outage (<see cref="Unavailability"/>: the database or the silos could not answer) with 503 and
/// Retry-After, so clients retry (with their Idempotency-Key) instead of treating a restart as a failed request.
/// Anything else is left to the default 500, logged with the chain of its causes' types, so an outage that is not
/// yet recognized can be told from a fault of the request.
/// </summary>
public sealed partial class ServiceUnavailableHandler(ILogger<ServiceUnavailableHandler> logger) : IExceptionHandler
{
    /// <summary>Seconds a client should wait: a silo failover or a database restart takes a few seconds.</summary>
    public const int RetryAfterSeconds = 2;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var part = Unavailability.Classify(exception);
        if (part == UnavailablePart.None)
        {
            LogNotAnOutage(context.Request.Method, context.Request.Path, CausesOf(exception));
            return false;
        }

        await WriteAsync(context, part, cancellationToken);
        return true;
    }

    /// <summary>The exception's chain of causes, outermost first, each as its type and message.</summary>
    public static string CausesOf(Exception exception)
    {
        var causes = new List<string>();
        for (var current = exception; current is not null; current = current.InnerException)
        {
            causes.Add($"{current.GetType().FullName}: {current.Message}");
        }

        return string.Join(" <- ", causes);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answering 500 to {Method} {Path}, not an outage: {Causes}")]
    private partial void LogNotAnOutage(string method, string path, string causes);

    /// <summary>Writes the 503 answer for an outage of <paramref name="part"/> (also used where authentication failed on one).</summary>
    public static async Task WriteAsync(HttpContext context, UnavailablePart part, CancellationToken cancellationToken)
    {
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsJsonAsync(
            new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = part == UnavailablePart.Database ? "Database unavailable" : "Cluster unavailable",
                Detail = part == UnavailablePart.Database
                    ? "The database could not be reached; retry shortly with the same Idempotency-Key. Nothing was lost."
                    : "The job cluster did not answer in time; retry shortly with the same Idempotency-Key. Nothing was lost.",
            },
            options: null,
            contentType: "application/problem+json",
            cancellationToken);
    }
}
