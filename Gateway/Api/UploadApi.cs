using System.Collections.Immutable;
using System.Security.Claims;
using Corral.Files;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Files;
using Corral.Gateway.Jobs;
using Corral.Gateway.Orchestrator;
using Corral.Gateway.Users;
using Corral.Jobs;

namespace Corral.Gateway.Api;

/// <summary>
/// POST /upload, job-orchestrator's form (seed 003): "file" parts (one of them run.sh, the entry point; the others
/// its inputs, paths kept), "service", and "user_id". Answers in job-orchestrator's shape: 201
/// <c>{"id","status":"Queued","message":"Job successfully uploaded"}</c>, or <c>{"id":0,"status":"Unknown","message"}</c>.
/// A portal's token may name any user_id (created on first use), an admin's an existing user, anyone else only itself.
/// </summary>
public static class UploadApi
{
    public const long MaxFieldBytes = 4096;

    public static void MapUploadApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/upload", UploadAsync).RequireAuthorization().DisableAntiforgery()
            .Accepts<OrchestratorAnswer>("multipart/form-data")
            .Produces<OrchestratorAnswer>(StatusCodes.Status201Created)
            .Produces<OrchestratorAnswer>(StatusCodes.Status400BadRequest);

    private static async Task<IResult> UploadAsync(
        HttpRequest request, ClaimsPrincipal principal, JobSubmitter submitter, UserDirectory users, JobUploadReader uploads,
        IJobFileStore store, DeclaredServices services)
    {
        var cancellationToken = request.HttpContext.RequestAborted;
        var id = JobSubmitter.JobIdFor("", null);
        var form = await uploads.ReadAsync(request, id, MaxFieldBytes, cancellationToken);
        if (form.Problem is { } problem)
        {
            request.HttpContext.Response.Headers.Connection = "close";
            return Error($"{problem.Field}: {problem.Message}", problem.Status);
        }

        var (owner, refusal) = await OwnerAsync(form, TokenAuthenticationHandler.CallerOf(principal), users, services, cancellationToken);
        Submission? submission = null;
        if (refusal is null)
        {
            var spec = new JobSpec(
                form.Fields["service"].ToLowerInvariant(), JobSpecRules.DefaultImage, RunScript.Command, JobKind.Batch,
                ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);
            submission = await submitter.SubmitAsAsync(id, owner!, spec);
            if (submission.Job is not null)
            {
                return TypedResults.Json(new OrchestratorAnswer(id, "Queued", "Job successfully uploaded"), statusCode: StatusCodes.Status201Created);
            }
        }

        await store.DeleteAsync(id, JobFileSet.Inputs, CancellationToken.None);
        return refusal ?? Error($"{submission!.Field}: {submission.Error}", StatusCodes.Status400BadRequest);
    }

    /// <summary>Whom the job is for, or why the form is refused (its files are then removed by the caller).</summary>
    private static async Task<(string? Owner, IResult? Refusal)> OwnerAsync(
        UploadedForm form, Caller caller, UserDirectory users, DeclaredServices services, CancellationToken cancellationToken)
    {
        var service = form.Fields.GetValueOrDefault("service", "");
        if (!JobSpecValidator.IsValidService(service) || !services.Allows(service))
        {
            return (null, Error(services.Any || service.Length > 0 ? "Invalid service" : "service: is required", StatusCodes.Status400BadRequest));
        }

        if (!form.Files.Any(f => f.Path == RunScript.FileName))
        {
            return (null, Error($"file: {RunScript.FileName} is required (the job's entry point, as -F file=@{RunScript.FileName})", StatusCodes.Status400BadRequest));
        }

        var userId = form.Fields.GetValueOrDefault("user_id", "");
        if (userId.Length == 0 || userId == caller.Name)
        {
            return (caller.Name, null);
        }

        if (!caller.IsPortal && !caller.IsAdmin)
        {
            return (null, Error("user_id: only a portal's token may submit for another user", StatusCodes.Status403Forbidden));
        }

        if (!UserName.IsValid(userId))
        {
            return (null, Error($"user_id: must be {UserName.Rule}", StatusCodes.Status400BadRequest));
        }

        if (caller.IsPortal)
        {
            await users.EnsureAsync(userId, cancellationToken);
        }
        else if (!await users.ExistsAsync(userId, cancellationToken))
        {
            return (null, Error($"user_id: no user '{userId}'", StatusCodes.Status400BadRequest));
        }

        return (userId, null);
    }

    private static IResult Error(string message, int status) => TypedResults.Json(OrchestratorAnswer.Error(message), statusCode: status);
}
