using System.Globalization;
using System.Threading.RateLimiting;
using Corral.Gateway.Auth;

namespace Corral.Gateway.Api;

/// <summary>
/// ASP.NET Core's rate limiter in front of the API, per caller (<see cref="ApiRateLimitSettings"/>): one tenant's
/// flood of requests cannot take the gateway's or the cluster's time from the others. A refused request is a 429
/// problem with Retry-After; nothing of it was done. Health and metrics routes are not limited.
/// </summary>
public static class ApiRateLimiting
{
    public static IServiceCollection AddCorralRateLimiting(this IServiceCollection services, ApiRateLimitSettings settings) =>
        services.AddRateLimiter(options =>
        {
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => Partition(context, settings));
            options.OnRejected = (rejected, cancellationToken) =>
            {
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return new ValueTask(Problems.Write(
                    rejected.HttpContext, StatusCodes.Status429TooManyRequests, "Too many requests",
                    $"more than {settings.PerSecond} requests a second (bursts up to {settings.Burst}); retry after {seconds} s",
                    "rate"));
            };
        });

    private static RateLimitPartition<string> Partition(HttpContext context, ApiRateLimitSettings settings)
    {
        var path = context.Request.Path;
        if (settings.IsOff || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/metrics")
            || context.User.IsInRole(TokenAuthenticationHandler.AdminRole))
        {
            return RateLimitPartition.GetNoLimiter("unlimited");
        }

        // Signed in: the user, whichever token or gateway connection they use. Not signed in: the address, so bad
        // tokens cannot be tried at any speed.
        var key = context.User.Identity?.Name is { Length: > 0 } name
            ? "user:" + name
            : "address:" + context.Connection.RemoteIpAddress;
        return RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = settings.Burst,
            TokensPerPeriod = settings.PerSecond,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        });
    }
}
