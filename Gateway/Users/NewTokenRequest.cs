using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace Corral.Gateway.Users;

/// <summary>The body of POST /api/tokens: a token for the caller. Give at most one of the two expiries.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NewTokenRequest(
    [property: Required, Description("must be " + TokenRules.NameRule)] string? Name = null,
    [property: Description("the token stops working this many seconds from now (1 to ten years)")] long? ExpiresInSeconds = null,
    [property: Description("the token stops working at this moment (ISO 8601, in the future, within ten years)")] DateTimeOffset? ExpiresAt = null);
