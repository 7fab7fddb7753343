using System.Security.Claims;
using Corral.Gateway.Api;
using Corral.Gateway.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Corral.Gateway.Users;

/// <summary>
/// The token routes: a caller's own (/api/tokens) and a named user's (/api/users/{name}/tokens: that user or an
/// admin). Another user's token, or another user, is "not found", never "forbidden", so names and ids say nothing
/// about what exists.
/// </summary>
public static class TokenEndpoints
{
    public static async Task<Results<Created<IssuedToken>, ValidationProblem, ProblemHttpResult>> CreateOwnAsync(
        NewTokenRequest? body, ClaimsPrincipal principal, TokenStore tokens, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (body?.Name is not { } name || !TokenRules.IsValidName(name))
        {
            return Problems.Invalid("name", $"must be {TokenRules.NameRule}");
        }

        return await IssueAsync(
            TokenAuthenticationHandler.CallerOf(principal).Name, name, body.ExpiresInSeconds, body.ExpiresAt, revokeOthers: false, tokens, clock, cancellationToken);
    }

    public static async Task<Ok<TokenList>> ListOwnAsync(ClaimsPrincipal principal, TokenStore tokens, CancellationToken cancellationToken) =>
        TypedResults.Ok(await tokens.ListAsync(TokenAuthenticationHandler.CallerOf(principal).Name, cancellationToken));

    /// <summary>Revokes one of the caller's tokens; an admin may name anyone's.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeOwnAsync(
        string id, ClaimsPrincipal principal, TokenStore tokens, CancellationToken cancellationToken)
    {
        var caller = TokenAuthenticationHandler.CallerOf(principal);
        return await RevokeAsync(caller.IsAdmin ? null : caller.Name, id, tokens, cancellationToken);
    }

    /// <summary>Rotation: a new token for user <paramref name="name"/>, its only one when revokeOthers is set.</summary>
    public static async Task<Results<Created<IssuedToken>, ValidationProblem, ProblemHttpResult>> RotateAsync(
        string name, RotateTokenRequest? body, ClaimsPrincipal principal, UserDirectory users, TokenStore tokens, TimeProvider clock,
        CancellationToken cancellationToken)
    {
        if (await UnknownUserAsync(name, principal, users, cancellationToken) is { } unknown)
        {
            return unknown;
        }

        body ??= new RotateTokenRequest();
        var tokenName = body.Name ?? "rotated";
        if (!TokenRules.IsValidName(tokenName))
        {
            return Problems.Invalid("name", $"must be {TokenRules.NameRule}");
        }

        return await IssueAsync(name, tokenName, body.ExpiresInSeconds, body.ExpiresAt, body.RevokeOthers, tokens, clock, cancellationToken);
    }

    public static async Task<Results<Ok<TokenList>, ProblemHttpResult>> ListOfUserAsync(
        string name, ClaimsPrincipal principal, UserDirectory users, TokenStore tokens, CancellationToken cancellationToken) =>
        await UnknownUserAsync(name, principal, users, cancellationToken) is { } unknown
            ? unknown
            : TypedResults.Ok(await tokens.ListAsync(name, cancellationToken));

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeOfUserAsync(
        string name, string id, ClaimsPrincipal principal, UserDirectory users, TokenStore tokens, CancellationToken cancellationToken) =>
        await UnknownUserAsync(name, principal, users, cancellationToken) is { } unknown
            ? unknown
            : await RevokeAsync(name, id, tokens, cancellationToken);

    private static async Task<Results<Created<IssuedToken>, ValidationProblem, ProblemHttpResult>> IssueAsync(
        string user, string name, long? expiresInSeconds, DateTimeOffset? expiresAt, bool revokeOthers,
        TokenStore tokens, TimeProvider clock, CancellationToken cancellationToken)
    {
        var expiry = TokenRules.Expiry(expiresInSeconds, expiresAt, clock.GetUtcNow());
        if (expiry.Field is { } field)
        {
            return Problems.Invalid(field, expiry.Error!);
        }

        var issued = await tokens.IssueAsync(user, name, expiry.ExpiresAt, revokeOthers, cancellationToken);
        return issued is null
            ? Problems.Field("tokens", $"user '{user}' already holds {TokenRules.MaxPerUser} tokens: revoke one first", StatusCodes.Status409Conflict)
            : TypedResults.Created("/api/tokens", issued);
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RevokeAsync(
        string? user, string id, TokenStore tokens, CancellationToken cancellationToken) =>
        TokenRules.IsValidId(id) && await tokens.RevokeAsync(user, id, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.Field("id", $"no token '{id}'" + (user is null ? "" : $" of user '{user}'"), StatusCodes.Status404NotFound);

    /// <summary>A 404 unless user <paramref name="name"/> exists and the caller is that user or an admin.</summary>
    private static async Task<ProblemHttpResult?> UnknownUserAsync(
        string name, ClaimsPrincipal principal, UserDirectory users, CancellationToken cancellationToken)
    {
        var caller = TokenAuthenticationHandler.CallerOf(principal);
        return (caller.IsAdmin || caller.Name == name) && UserName.IsValid(name) && await users.ExistsAsync(name, cancellationToken)
            ? null
            : Problems.Field("name", $"no user '{name}'", StatusCodes.Status404NotFound);
    }
}
