namespace Corral.Gateway.Users;

/// <summary>A user's tokens, oldest first; at most <see cref="TokenRules.MaxPerUser"/>, so one page holds them all.</summary>
public sealed record TokenList(IReadOnlyList<TokenView> Items);
