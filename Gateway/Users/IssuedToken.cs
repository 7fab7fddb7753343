namespace Corral.Gateway.Users;

/// <summary>
/// A new token, the only time it is shown. <see cref="Revoked"/> lists the ids of the user's other tokens that a
/// rotation revoked in the same step (empty otherwise).
/// </summary>
public sealed record IssuedToken(string Id, string Name, string Token, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, IReadOnlyList<string> Revoked);
