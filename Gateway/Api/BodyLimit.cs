using Microsoft.AspNetCore.Http.Metadata;

namespace Corral.Gateway.Api;

/// <summary>Endpoint metadata: the most bytes a request body to this route may have (<see cref="BodyLimits"/>).</summary>
/// <remarks><paramref name="Setting"/> names what sets the limit, for the 413's text, when an operator can change it.</remarks>
public sealed record BodyLimit(long Bytes, string? Setting = null) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => Bytes;
}
