using System.Security.Claims;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Jobs;
using Corral.Gateway.Users;
using Corral.Jobs;
using Corral.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Corral.Gateway.Api;

/// <summary>/api/jobs: submit, read, list, cancel and read logs. A caller sees only their own jobs; an admin all.</summary>
public static class JobsApi
{
    private const int MaxListed = 500;

    public static void MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").RequireAuthorization();
        jobs.MapPost("/", SubmitAsync);
        jobs.MapGet("/", ListAsync);
        jobs.MapGet("/{id}", GetAsync).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id}/cancel", CancelAsync).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/logs", LogsAsync).Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    private static async Task<Results<Accepted<JobAccepted>, ValidationProblem>> SubmitAsync(
        JobSpecRequest? body, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey,
        ClaimsPrincipal principal, JobSubmitter submitter)
    {
        var (spec, errors) = JobSpecValidator.Validate(body);
        if (spec is null)
        {
            return Problems.Invalid(errors);
        }

        if (idempotencyKey is { Length: > 200 })
        {
            return Problems.Invalid("Idempotency-Key", "must be at most 200 characters");
        }

        var caller = TokenAuthenticationHandler.CallerOf(principal);
        var submission = await submitter.SubmitAsync(caller.Name, spec, string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey);
        return submission.Job is { } job
            ? TypedResults.Accepted($"/api/jobs/{job.Id}", new JobAccepted(job.Id, job.Status))
            : Problems.Invalid(submission.Field!, submission.Error!);
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(string id, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var view = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        return view is null ? Problems.NotFound($"No job '{id}'.") : TypedResults.Ok(view);
    }

    private static async Task<IResult> ListAsync(
        ClaimsPrincipal principal, IGrainFactory grains, UserDirectory users,
        string? status, string? service, string? user, CancellationToken cancellationToken)
    {
        var caller = TokenAuthenticationHandler.CallerOf(principal);
        JobStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<JobStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || status.Any(char.IsDigit))
            {
                return Problems.Field("status", $"'{status}' is not a status (queued, pending, starting, running, succeeded, failed, cancelled)");
            }

            wanted = parsed;
        }

        if (user is not null && !caller.IsAdmin && user != caller.Name)
        {
            return Problems.Field("user", "only admins may list another user's jobs", StatusCodes.Status403Forbidden);
        }

        IReadOnlyList<string> owners = user is not null ? [user]
            : caller.IsAdmin ? await users.ListNamesAsync(cancellationToken)
            : [caller.Name];
        var ids = new List<string>();
        foreach (var owner in owners)
        {
            ids.AddRange(await grains.GetGrain<IUserGrain>(owner).GetJobIdsAsync());
        }

        var views = await Task.WhenAll(ids.Select(id => grains.GetGrain<IJobGrain>(id).GetAsync()));
        var listed = views
            .OfType<JobView>()
            .Where(v => wanted is null || v.Status == wanted)
            .Where(v => string.IsNullOrEmpty(service) || string.Equals(v.Service, service, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(v => v.SubmittedAt)
            .Take(MaxListed);
        return TypedResults.Ok(listed);
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> CancelAsync(string id, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var view = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        return view is null
            ? Problems.NotFound($"No job '{id}'.")
            : TypedResults.Ok(await grains.GetGrain<IJobGrain>(id).CancelAsync());
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> LogsAsync(
        string id, ClaimsPrincipal principal, IGrainFactory grains, JobLogReader logs, HttpResponse response)
    {
        var view = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        if (view is null)
        {
            return Problems.NotFound($"No job '{id}'.");
        }

        response.ContentType = "text/plain; charset=utf-8";
        await logs.CopyToAsync(id, response.Body, response.HttpContext.RequestAborted);
        return TypedResults.Empty;
    }
}
