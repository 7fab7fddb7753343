using System.Diagnostics;
using System.Security.Claims;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Jobs;
using Corral.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Corral.Gateway.Api;

/// <summary>/api/jobs: submit, read, list, cancel and read logs. A caller sees only their own jobs; an admin all.</summary>
public static class JobsApi
{
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
        // The request's trace (when traces are exported) is found by the job's id; the grain calls below it carry it too.
        Activity.Current?.SetTag("corral.job_id", submission.Job?.Id);
        return submission.Job is { } job
            ? TypedResults.Accepted($"/api/jobs/{job.Id}", new JobAccepted(job.Id, job.Status))
            : Problems.Invalid(submission.Field!, submission.Error!);
    }

    private static async Task<Results<Ok<JobView>, ProblemHttpResult>> GetAsync(string id, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var view = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        return view is null ? Problems.NotFound($"No job '{id}'.") : TypedResults.Ok(view);
    }

    /// <summary>
    /// A page of jobs, newest first, from the job index (no job grain is activated): <c>{ items, nextCursor }</c>;
    /// pass <c>nextCursor</c> back as <c>cursor</c> for the next page (null: that was the last).
    /// </summary>
    private static async Task<Results<Ok<JobListPage>, ProblemHttpResult>> ListAsync(
        ClaimsPrincipal principal, JobListReader reader,
        string? status, string? service, string? user, string? limit, string? cursor, CancellationToken cancellationToken)
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

        var pageSize = JobListReader.DefaultLimit;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize)
            || pageSize is < 1 or > JobListReader.MaxLimit))
        {
            return Problems.Field("limit", $"must be a whole number from 1 to {JobListReader.MaxLimit}");
        }

        (DateTimeOffset, string)? after = null;
        if (cursor is not null)
        {
            if (!JobListReader.TryDecodeCursor(cursor, out var decoded))
            {
                return Problems.Field("cursor", "is not a cursor this API gave (pass nextCursor of the previous page as it was)");
            }

            after = decoded;
        }

        var owner = user ?? (caller.IsAdmin ? null : caller.Name);
        return TypedResults.Ok(await reader.ListAsync(owner, wanted, service, pageSize, after, cancellationToken));
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
