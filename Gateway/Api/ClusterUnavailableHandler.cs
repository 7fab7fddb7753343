using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Corral.Gateway.Api;

/// <summary>
/// Turns "the cluster could not answer" into 503 with Retry-After, so clients retry (with their
/// Idempotency-Key) instead of treating a silo restart as a failed request.
/// </summary>
public sealed class ClusterUnavailableHandler : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (OrleansException or TimeoutException or SiloUnavailableException))
        {
            return false;
        }

        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = "2";
        await context.Response.WriteAsJsonAsync(
            new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = "Cluster unavailable",
                Detail = "The job cluster did not answer in time; retry shortly. Nothing was lost.",
            },
            options: null,
            contentType: "application/problem+json",
            cancellationToken);
        return true;
    }
}
