namespace Corral.Gateway.Users;

/// <summary>A token as lists show it: never the token or its hash. LastUsedAt is right to within a minute.</summary>
public sealed record TokenView(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt);
