using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using Corral.Gateway.Users;

namespace Corral.Gateway.Api.Requests;

/// <summary>The body of POST /api/users (admin).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record NewUserRequest(
    [property: Required, Description("must be " + UserName.Rule)] string? Name = null,
    [property: Description("'user' (the default) or 'portal': a portal may submit on POST /upload for any user_id")] string? Role = null);
