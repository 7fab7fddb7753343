using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Corral.Gateway.Users;

/// <summary>The body of POST /api/users/{name}/tokens (admin): a new token for that user, optionally its only one.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record RotateTokenRequest(
    [property: Description("must be " + TokenRules.NameRule + "; 'rotated' when left out")] string? Name = null,
    [property: Description("the token stops working this many seconds from now (1 to ten years)")] long? ExpiresInSeconds = null,
    [property: Description("the token stops working at this moment (ISO 8601, in the future, within ten years)")] DateTimeOffset? ExpiresAt = null,
    [property: Description("revoke every other token of the user in the same step (default false)")] bool RevokeOthers = false);
