using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Corral.Gateway.Api;

/// <summary>RFC 7807 problem details that name the field that is wrong.</summary>
public static class Problems
{
    public static ProblemHttpResult Field(string field, string message, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Problem(new ProblemDetails
        {
            Status = status,
            Title = status == StatusCodes.Status400BadRequest ? "Invalid request" : ReasonPhrase(status),
            Detail = $"{field}: {message}",
            Extensions = { ["errors"] = new Dictionary<string, string[]> { [field] = [message] } },
        });

    /// <summary>A 400 with the same shape as <see cref="Field"/>, typed so the OpenAPI document shows it.</summary>
    public static ValidationProblem Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static ValidationProblem Invalid(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(
            errors,
            detail: string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")),
            title: "Invalid request");

    public static ProblemHttpResult NotFound(string what) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: what);

    public static Task Write(HttpContext context, int status, string title, string detail, string field)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(
            new ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = detail,
                Extensions = { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } },
            },
            options: null,
            contentType: "application/problem+json");
    }

    private static string ReasonPhrase(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status);
}
