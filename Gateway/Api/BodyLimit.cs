using Microsoft.AspNetCore.Http.Metadata;

namespace Corral.Gateway.Api;

/// <summary>Endpoint metadata: the most bytes a request body to this route may have (<see cref="BodyLimits"/>).</summary>
public sealed record BodyLimit(long Bytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => Bytes;
}
