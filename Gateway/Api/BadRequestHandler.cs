using System.Text.Json;
using System.Text.RegularExpressions;
using Corral.Gateway.Api.Requests;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace Corral.Gateway.Api;

/// <summary>
/// A body the binder could not read (not JSON, a wrong type, an unknown member) becomes a 400 problem naming the
/// member ("resources.cpu"), instead of an empty 400. Needs <see cref="RouteHandlerOptions.ThrowOnBadRequest"/>.
/// </summary>
public sealed partial class BadRequestHandler(IOptions<JsonOptions> json) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        // The middleware clears the endpoint before calling handlers; the feature keeps the one that failed.
        var endpoint = context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        var requestType = endpoint?.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
        var (field, message) = bad.InnerException is JsonException error && requestType is not null
            ? JsonBodyErrors.Describe(error, requestType, json.Value.SerializerOptions)
            : (FieldOf(bad), bad.Message);
        await Problems.Field(field, message, bad.StatusCode).ExecuteAsync(context);
        return true;
    }

    /// <summary>
    /// The binder names a query, route or header parameter only in its text (Failed to bind parameter
    /// "int? limit" from "abc".); anything else about the request is about its body.
    /// </summary>
    private static string FieldOf(BadHttpRequestException bad) =>
        ParameterPattern().Match(bad.Message) is { Success: true } match ? match.Groups["name"].Value : "body";

    [GeneratedRegex(@"parameter ""(?:[^""]* )?(?<name>[A-Za-z_][A-Za-z0-9_]*)""", RegexOptions.CultureInvariant)]
    private static partial Regex ParameterPattern();
}
