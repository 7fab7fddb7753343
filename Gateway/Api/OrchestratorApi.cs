using System.Security.Claims;
using Corral.Files;
using Corral.Gateway.Auth;
using Corral.Gateway.Files;
using Corral.Gateway.Jobs;
using Corral.Gateway.Orchestrator;
using Corral.Jobs;

namespace Corral.Gateway.Api;

/// <summary>
/// job-orchestrator's other routes (seed 003), so its clients switch by changing their URL and adding a token:
/// /download/{id}, /download_partial/{id}, /terminate/{id} and /health. Statuses are in its words
/// (<see cref="OrchestratorStatus"/>). A portal sees every job here (it submits for any user); others their own.
/// </summary>
public static class OrchestratorApi
{
    public static void MapOrchestratorApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", () => TypedResults.Json(new { status = "healthy" }));
        app.MapGet("/download/{id}", DownloadAsync).RequireAuthorization()
            .Produces<OrchestratorAnswer>().Produces(StatusCodes.Status200OK, contentType: "application/zip");
        app.MapGet("/download_partial/{id}", DownloadPartialAsync).RequireAuthorization()
            .Produces(StatusCodes.Status200OK, contentType: "application/zip");
        app.MapPost("/terminate/{id}", TerminateAsync).RequireAuthorization().Produces<OrchestratorAnswer>();
    }

    /// <summary>A ZIP of the results once the job is Completed; until then (or when it failed) its status as JSON.</summary>
    private static async Task<IResult> DownloadAsync(string id, ClaimsPrincipal principal, IGrainFactory grains, IJobFileStore store, HttpResponse response)
    {
        if (await FindAsync(grains, principal, id) is not { } job)
        {
            return NotFound(id);
        }

        if (job.Status != JobStatus.Succeeded)
        {
            var message = JobResults.HasEnded(job)
                ? $"Job ended {OrchestratorStatus.Of(job.Status)}: {job.Message}; its files are at /download_partial/{id}"
                : "Job is not finished yet";
            return TypedResults.Json(new OrchestratorAnswer(id, OrchestratorStatus.Of(job.Status), message));
        }

        await JobFilesApi.WriteZipAsync(id, store, response);
        return TypedResults.Empty;
    }

    /// <summary>A ZIP of the job's directory as it is now (while running), or of its results once it ended.</summary>
    private static async Task<IResult> DownloadPartialAsync(
        string id, ClaimsPrincipal principal, IGrainFactory grains, IJobFileStore store, JobResults results, HttpResponse response)
    {
        if (await FindAsync(grains, principal, id) is not { } job)
        {
            return NotFound(id);
        }

        await results.SnapshotAsync(job);
        await JobFilesApi.WriteZipAsync(id, store, response);
        return TypedResults.Empty;
    }

    private static async Task<IResult> TerminateAsync(string id, ClaimsPrincipal principal, IGrainFactory grains)
    {
        if (await FindAsync(grains, principal, id) is null)
        {
            return NotFound(id);
        }

        var view = await grains.GetGrain<IJobGrain>(id).CancelAsync();
        return TypedResults.Json(new OrchestratorAnswer(id, OrchestratorStatus.Of(view.Status), "job terminated"));
    }

    private static Task<JobView?> FindAsync(IGrainFactory grains, ClaimsPrincipal principal, string id)
    {
        var caller = TokenAuthenticationHandler.CallerOf(principal);
        return JobAccess.FindAsync(grains, caller with { IsAdmin = caller.IsAdmin || caller.IsPortal }, id);
    }

    private static IResult NotFound(string id) =>
        TypedResults.Json(new OrchestratorAnswer(0, "Unknown", $"Job {id} not found"), statusCode: StatusCodes.Status404NotFound);
}
