using System.Diagnostics;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.Files;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Files;
using Corral.Gateway.Jobs;
using Corral.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Corral.Gateway.Api;

/// <summary>/api/jobs: submit, read, list, cancel and read logs. A caller sees only their own jobs; an admin all.</summary>
public static class JobsApi
{
    public static void MapJobsApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").RequireAuthorization();
        jobs.MapPost("/", SubmitAsync);
        // The same route with input files: routing picks this endpoint for a multipart body (its Accepts metadata).
        // Left out of the OpenAPI document, which has one operation per method and path: the JSON one.
        jobs.MapPost("/", SubmitWithFilesAsync).Accepts<JobSpecRequest>("multipart/form-data").DisableAntiforgery().ExcludeFromDescription();
        jobs.MapGet("/", ListAsync);
        jobs.MapGet("/{id}", GetAsync).Produces<JobView>().ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPost("/{id}/cancel", CancelAsync).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapPut("/{id}/priority", ChangePriorityAsync).RequireAuthorization(AdminPolicy.Name)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
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

    /// <summary>
    /// A multipart body: the JSON spec in a part named "spec" (validated as the JSON body is) and the job's input
    /// files in parts named "file", each filename its path in the working directory. The files are stored under the
    /// job's id first and the job submitted after, so it never starts without them; a refused upload keeps nothing.
    /// </summary>
    private static async Task<IResult> SubmitWithFilesAsync(
        HttpRequest request, [FromHeader(Name = "Idempotency-Key")] string? idempotencyKey, ClaimsPrincipal principal,
        JobSubmitter submitter, JobUploadReader uploads, IJobFileStore store, IGrainFactory grains, IOptions<JsonOptions> json)
    {
        if (idempotencyKey is { Length: > 200 })
        {
            return Problems.Invalid("Idempotency-Key", "must be at most 200 characters");
        }

        var caller = TokenAuthenticationHandler.CallerOf(principal);
        var key = string.IsNullOrEmpty(idempotencyKey) ? null : idempotencyKey;
        var id = JobSubmitter.JobIdFor(caller.Name, key);
        if (key is not null && await grains.GetGrain<IJobGrain>(id).GetAsync() is { } earlier)
        {
            // A retry: the job and its files exist already; its body is not read again.
            request.HttpContext.Response.Headers.Connection = "close";
            return TypedResults.Accepted($"/api/jobs/{id}", new JobAccepted(id, earlier.Status));
        }

        var form = await uploads.ReadAsync(request, id, BodyLimits.JobSpec, request.HttpContext.RequestAborted);
        if (form.Problem is { } problem)
        {
            // The rest of the body is not read: do not keep the connection for it.
            request.HttpContext.Response.Headers.Connection = "close";
            return Problems.Field(problem.Field, problem.Message, problem.Status);
        }

        var refusal = SpecOf(form, json.Value.SerializerOptions, out var spec);
        var submission = spec is null ? null : await submitter.SubmitAsAsync(id, caller.Name, spec);
        if (submission?.Job is { } job)
        {
            return TypedResults.Accepted($"/api/jobs/{job.Id}", new JobAccepted(job.Id, job.Status));
        }

        await store.DeleteAsync(id, JobFileSet.Inputs, CancellationToken.None);
        return refusal ?? Problems.Invalid(submission!.Field!, submission.Error!);
    }

    private static ValidationProblem? SpecOf(UploadedForm form, JsonSerializerOptions options, out JobSpec? spec)
    {
        spec = null;
        if (form.Fields.Keys.FirstOrDefault(k => k != "spec") is { } other)
        {
            return Problems.Invalid(other, "is not a field of this form: send 'spec' (the job's JSON) and 'file' parts");
        }

        if (!form.Fields.TryGetValue("spec", out var text))
        {
            return Problems.Invalid("spec", "is required: the job's JSON spec as a form field (-F spec='{...}')");
        }

        JobSpecRequest? body;
        try
        {
            body = JsonSerializer.Deserialize<JobSpecRequest>(text, options);
        }
        catch (JsonException error)
        {
            var (field, message) = JsonBodyErrors.Describe(error, typeof(JobSpecRequest), options);
            return Problems.Invalid(field == "body" ? "spec" : field, message);
        }

        (spec, var errors) = JobSpecValidator.Validate(body);
        return spec is null ? Problems.Invalid(errors) : null;
    }

    /// <summary>The job view, with <c>files: {available, count, bytes, expiresAt}</c> about its result files.</summary>
    private static async Task<Results<Ok<JsonObject>, ProblemHttpResult>> GetAsync(
        string id, ClaimsPrincipal principal, IGrainFactory grains, JobResults results, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var view = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        if (view is null)
        {
            return Problems.NotFound($"No job '{id}'.");
        }

        var options = json.Value.SerializerOptions;
        var body = JsonSerializer.SerializeToNode(view, options)!.AsObject();
        body["files"] = JsonSerializer.SerializeToNode(await results.SummarizeAsync(view, cancellationToken), options);
        return TypedResults.Ok(body);
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

    /// <summary>An admin moves a waiting job ahead (or back) in its user's line; a job that no longer waits is a 409.</summary>
    private static async Task<Results<Ok<JobView>, ValidationProblem, ProblemHttpResult>> ChangePriorityAsync(
        string id, PriorityChangeRequest? body, ClaimsPrincipal principal, IGrainFactory grains)
    {
        if (body?.Priority is not { } priority)
        {
            return Problems.Invalid("priority", "is required: " + JobSpecRules.Priority);
        }

        if (await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id) is not { } view)
        {
            return Problems.NotFound($"No job '{id}'.");
        }

        return await grains.GetGrain<IJobGrain>(id).ChangePriorityAsync(priority) is { } changed
            ? TypedResults.Ok(changed)
            : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "The job is not waiting",
                detail: $"Job '{id}' is {view.Status.ToString().ToLowerInvariant()}: only a queued job's priority can change.");
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
