namespace Corral.Gateway.Api.Requests;

/// <summary>The answer to POST /api/users: the token is shown this once and stored hashed.</summary>
public sealed record CreatedUser(string Name, string Token);
