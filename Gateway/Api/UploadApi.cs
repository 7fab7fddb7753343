using System.Collections.Immutable;
using System.Security.Claims;
using System.Text;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Jobs;
using Corral.Gateway.Users;
using Corral.Jobs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Corral.Gateway.Api;

/// <summary>
/// POST /upload, seed 003's form: a shell script in "file", a "service", and "user_id" for admins submitting
/// on someone's behalf. The script runs with sh in the default image.
/// </summary>
public static class UploadApi
{
    public const int MaxScriptBytes = JobSpecRules.MaxCommandBytes - 16;

    public static void MapUploadApi(this IEndpointRouteBuilder app) =>
        app.MapPost("/upload", UploadAsync).RequireAuthorization().DisableAntiforgery()
            // The form is three fields; its parser stops at the route's body limit instead of FormOptions' 128 MB.
            .WithFormOptions(multipartBodyLengthLimit: BodyLimits.Upload, valueCountLimit: 16, valueLengthLimit: (int)BodyLimits.Upload);

    private static async Task<Results<Ok<JobAccepted>, ProblemHttpResult>> UploadAsync(HttpRequest request, ClaimsPrincipal principal, JobSubmitter submitter, UserDirectory users)
    {
        if (!request.HasFormContentType)
        {
            return Problems.Field("file", "send a multipart form: -F file=@run.sh -F service=NAME");
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
        }
        catch (InvalidDataException error)
        {
            // A malformed form (a bad boundary, too many fields, an oversized header) is the client's, not a 500.
            return Problems.Field("body", $"is not a readable multipart form: {error.Message}");
        }

        var caller = TokenAuthenticationHandler.CallerOf(principal);
        var service = form["service"].ToString();
        if (!JobSpecValidator.IsValidService(service))
        {
            return Problems.Field("service", "is required: 1-63 characters, letters, digits, '-' or '_'");
        }

        if (form.Files["file"] is not { } file)
        {
            return Problems.Field("file", "is required: a shell script, as -F file=@run.sh");
        }

        if (file.Length > MaxScriptBytes)
        {
            return Problems.Field("file", $"is {file.Length} bytes; the limit is {MaxScriptBytes} bytes");
        }

        var owner = caller.Name;
        var userId = form["user_id"].ToString();
        if (userId.Length > 0 && userId != caller.Name)
        {
            if (!caller.IsAdmin)
            {
                return Problems.Field("user_id", "only admins may submit for another user", StatusCodes.Status403Forbidden);
            }

            if (!UserName.IsValid(userId) || !await users.ExistsAsync(userId, request.HttpContext.RequestAborted))
            {
                return Problems.Field("user_id", $"no user '{userId}'");
            }

            owner = userId;
        }

        using var reader = new StreamReader(file.OpenReadStream(), Encoding.UTF8);
        var script = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (script.Contains('\0', StringComparison.Ordinal))
        {
            return Problems.Field("file", "must be a text script, not binary");
        }

        var spec = new JobSpec(
            service.ToLowerInvariant(), JobSpecRules.DefaultImage, ["sh", "-c", script], JobKind.Batch,
            ImmutableDictionary<string, string>.Empty, ResourceRequest.None, null);
        var submission = await submitter.SubmitAsync(owner, spec, null);
        return submission.Job is { } job
            ? TypedResults.Ok(new JobAccepted(job.Id, job.Status))
            : Problems.Field(submission.Field!, submission.Error!);
    }
}
