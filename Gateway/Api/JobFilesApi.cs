using System.Security.Claims;
using Corral.Files;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Files;
using Corral.Gateway.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Corral.Gateway.Api;

/// <summary>
/// A job's result files: list them, stream one, or stream all as a ZIP (a running job's ZIP is a snapshot of its
/// live working directory). A caller sees only their own jobs' files; another's job is a 404, as for the job itself.
/// </summary>
public static class JobFilesApi
{
    public static void MapJobFilesApi(this IEndpointRouteBuilder app)
    {
        var jobs = app.MapGroup("/api/jobs").RequireAuthorization();
        jobs.MapGet("/{id}/files", ListAsync).ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/files/{**path}", FileAsync).Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .ProducesProblem(StatusCodes.Status404NotFound);
        jobs.MapGet("/{id}/download", DownloadAsync).Produces(StatusCodes.Status200OK, contentType: "application/zip")
            .ProducesProblem(StatusCodes.Status404NotFound);
    }

    /// <summary><c>{ status, files: {available, count, bytes, expiresAt}, items: [{path, size}], message }</c>.</summary>
    private static async Task<Results<Ok<JobFileList>, ProblemHttpResult>> ListAsync(
        string id, ClaimsPrincipal principal, IGrainFactory grains, IJobFileStore store, JobResults results, CancellationToken cancellationToken)
    {
        var job = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        if (job is null)
        {
            return Problems.NotFound($"No job '{id}'.");
        }

        var summary = await results.SummarizeAsync(job, cancellationToken);
        if (!JobResults.HasEnded(job))
        {
            return TypedResults.Ok(new JobFileList(job.Status, summary, [],
                $"no results yet: they are collected when the job ends (GET /api/jobs/{id}/download zips a running job's directory as it is now)"));
        }

        if (!summary.Available)
        {
            return TypedResults.Ok(new JobFileList(job.Status, summary, [], $"results were removed at {summary.ExpiresAt:o} (JOB_FILES_RETENTION)"));
        }

        var files = await store.ListAsync(id, JobFileSet.Results, cancellationToken);
        return TypedResults.Ok(new JobFileList(job.Status, summary, files, null));
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> FileAsync(
        string id, string path, ClaimsPrincipal principal, IGrainFactory grains, IJobFileStore store, HttpResponse response)
    {
        var job = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        if (job is null)
        {
            return Problems.NotFound($"No job '{id}'.");
        }

        var cancellationToken = response.HttpContext.RequestAborted;
        var file = JobFilePath.IsValid(path)
            ? (await store.ListAsync(id, JobFileSet.Results, cancellationToken)).FirstOrDefault(f => f.Path == path)
            : null;
        if (file is null)
        {
            return Problems.NotFound($"Job '{id}' has no result file '{path}'.");
        }

        response.ContentType = "application/octet-stream";
        response.ContentLength = file.Size;
        response.Headers.ContentDisposition = Attachment(path[(path.LastIndexOf('/') + 1)..]);
        if (!await store.CopyToAsync(id, JobFileSet.Results, path, response.Body, cancellationToken) && !response.HasStarted)
        {
            // Replaced or removed between the listing and the read.
            response.Headers.ContentDisposition = default;
            response.ContentLength = null;
            return Problems.NotFound($"Job '{id}' has no result file '{path}'.");
        }

        return TypedResults.Empty;
    }

    private static async Task<Results<EmptyHttpResult, ProblemHttpResult>> DownloadAsync(
        string id, ClaimsPrincipal principal, IGrainFactory grains, IJobFileStore store, JobResults results, HttpResponse response)
    {
        var job = await JobAccess.FindAsync(grains, TokenAuthenticationHandler.CallerOf(principal), id);
        if (job is null)
        {
            return Problems.NotFound($"No job '{id}'.");
        }

        await results.SnapshotAsync(job);
        await WriteZipAsync(id, store, response);
        return TypedResults.Empty;
    }

    /// <summary>Streams the job's result files as <c>{id}.zip</c>, written straight onto the response.</summary>
    public static async Task WriteZipAsync(string id, IJobFileStore store, HttpResponse response)
    {
        response.ContentType = "application/zip";
        response.Headers.ContentDisposition = Attachment($"{id}.zip");
        await JobFilesZip.WriteAsync(store, id, JobFileSet.Results, response.Body, response.HttpContext.RequestAborted);
    }

    private static string Attachment(string fileName)
    {
        var header = new ContentDispositionHeaderValue("attachment");
        header.SetHttpFileName(fileName);
        return header.ToString();
    }
}
