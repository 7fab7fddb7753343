using Corral.Gateway.Api.Requests;

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
    /// POST /upload: the script (<see cref="UploadApi.MaxScriptBytes"/>) plus the form's other fields, part headers and
    /// boundaries. A bigger script still reaches the handler's own 400 naming "file" when the form is under this.
    /// </summary>
    public const long Upload = 2 * JobSpecRules.MaxCommandBytes;

    /// <summary>
    /// POST /api/jobs: at least 1 MiB, and always room for the largest spec the rules accept written as plain JSON
    /// (the command and every env value at their limits, with 1 KiB per entry for its name and quoting).
    /// </summary>
    public static readonly long JobSpec = Math.Max(
        1024 * 1024,
        JobSpecRules.MaxCommandBytes + (long)JobSpecRules.MaxEnvEntries * (JobSpecRules.MaxEnvValueBytes + 1024) + 64 * 1024);

    /// <summary>Any other route: none of them takes a body of any size.</summary>
    public const long Default = 64 * 1024;

    /// <summary>A group convention: gives each endpoint its route's <see cref="BodyLimit"/>.</summary>
    public static void Apply(EndpointBuilder endpoint)
    {
        var methods = endpoint.Metadata.OfType<IHttpMethodMetadata>().LastOrDefault()?.HttpMethods ?? [];
        var route = (endpoint as RouteEndpointBuilder)?.RoutePattern.RawText?.TrimEnd('/') ?? "";
        endpoint.Metadata.Add(new BodyLimit(For(methods.Contains(HttpMethods.Post) ? HttpMethods.Post : "", route)));
    }

    public static long For(string method, string route) => (method, route) switch
    {
        ("POST", "/api/jobs") => JobSpec,
        ("POST", "/upload") => Upload,
        ("POST", "/api/users") => NewUser,
        _ => Default,
    };
}
