using Corral.Gateway.Api.Requests;
using Corral.Gateway.Files;
using Microsoft.AspNetCore.Http.Metadata;

namespace Corral.Gateway.Api;

/// <summary>
/// The request body limit of every API route, in one table: a body over its route's limit is answered 413 before
/// it is read (<see cref="BodyLimitMiddleware"/>), instead of Kestrel's 30 MB default.
/// </summary>
public static class BodyLimits
{
    /// <summary>POST /api/users: {"name": ...}.</summary>
    public const long NewUser = 16 * 1024;

    /// <summary>
    /// POST /api/jobs: at least 1 MiB, and always room for the largest spec the rules accept written as plain JSON
    /// (the command and every env value at their limits, with 1 KiB per entry for its name and quoting).
    /// </summary>
    public static readonly long JobSpec = Math.Max(
        1024 * 1024,
        JobSpecRules.MaxCommandBytes + (long)JobSpecRules.MaxEnvEntries * (JobSpecRules.MaxEnvValueBytes + 1024) + 64 * 1024);

    /// <summary>Any other route: none of them takes a body of any size.</summary>
    public const long Default = 64 * 1024;

    /// <summary>
    /// A group convention: gives each endpoint its route's <see cref="BodyLimit"/>. An upload of job files (a POST
    /// that accepts multipart/form-data) may carry JOB_FILES_MAX_BYTES plus room for its fields and part headers;
    /// the upload reader holds the files themselves to JOB_FILES_MAX_BYTES while it stores them.
    /// </summary>
    public static Action<EndpointBuilder> Convention(JobFileSettings files, long uploadEnvelope) => endpoint =>
    {
        var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
        var route = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText?.TrimEnd('/') ?? "";
        var multipart = endpoint.Metadata.OfType<IAcceptsMetadata>()
            .Any(a => a.ContentTypes.Contains("multipart/form-data", StringComparer.OrdinalIgnoreCase));
        endpoint.Metadata.Add(methods.Contains(HttpMethods.Post) && multipart
            ? new BodyLimit(files.MaxBytes + uploadEnvelope,
                $"input files at most {files.MaxBytes} bytes in all ({JobFileSettings.MaxBytesVariable}) plus {uploadEnvelope} for the form's fields and part headers")
            : new BodyLimit(For(methods.Contains(HttpMethods.Post) ? HttpMethods.Post : "", route)));
    };

    public static long For(string method, string route) => (method, route) switch
    {
        ("POST", "/api/jobs") => JobSpec,
        ("POST", "/api/users") => NewUser,
        _ => Default,
    };
}
