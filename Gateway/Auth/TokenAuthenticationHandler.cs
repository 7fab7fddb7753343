using System.Security.Claims;
using System.Text.Encodings.Web;
using Corral.Gateway.Users;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Corral.Gateway.Auth;

/// <summary>
/// "Authorization: Bearer &lt;token&gt;", or "access_token" in the query for the SignalR hub (browsers cannot
/// set headers on WebSockets). Tokens are looked up by hash, in <see cref="CallerCache"/> first; an expired or
/// revoked token is refused like an unknown one.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    CallerCache cache,
    TokenStore tokens,
    TimeProvider clock) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    public const string AdminRole = "admin";

    /// <summary>A portal's token may submit on POST /upload for any user_id (job-orchestrator compatibility).</summary>
    public const string PortalRole = "portal";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = ReadToken();
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }

        if (!TokenHasher.LooksValid(token))
        {
            return AuthenticateResult.Fail("The bearer token is malformed.");
        }

        var caller = await FindCallerAsync(token);
        if (caller is null)
        {
            return AuthenticateResult.Fail("The bearer token is not known.");
        }

        List<Claim> claims = [new(ClaimTypes.Name, caller.Name)];
        if (caller.IsAdmin)
        {
            claims.Add(new Claim(ClaimTypes.Role, AdminRole));
        }

        if (caller.IsPortal)
        {
            claims.Add(new Claim(ClaimTypes.Role, PortalRole));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
    }

    private async Task<Caller?> FindCallerAsync(string token)
    {
        var hash = TokenHasher.Hash(token);
        if (cache.Find(hash) is { } cached)
        {
            return cached;
        }

        var now = clock.GetUtcNow();
        if (await tokens.FindAsync(hash, now, Context.RequestAborted) is not { } found)
        {
            return null;
        }

        cache.Add(hash, found.Caller, found.ExpiresAt, now);
        return found.Caller;
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var failure = (await HandleAuthenticateOnceSafeAsync()).Failure;
        // A token that could not be looked up (the database is restarting) is not an unknown token.
        if (failure is not null && Api.Unavailability.Classify(failure) is var part and not Api.UnavailablePart.None)
        {
            await Api.ServiceUnavailableHandler.WriteAsync(Context, part, Context.RequestAborted);
            return;
        }

        await Api.Problems.Write(Context, StatusCodes.Status401Unauthorized, "Unauthorized",
            failure?.Message ?? "Send 'Authorization: Bearer <token>'.", "Authorization");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Api.Problems.Write(Context, StatusCodes.Status403Forbidden, "Forbidden", "This needs an admin token.", "Authorization");

    private string? ReadToken()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        if (header.Length > 0)
        {
            return string.Empty;
        }

        return Request.Path.StartsWithSegments("/hubs") ? Request.Query["access_token"].ToString() is { Length: > 0 } t ? t : null : null;
    }

    public static Caller CallerOf(ClaimsPrincipal user) =>
        new(user.Identity!.Name!, user.IsInRole(AdminRole), user.IsInRole(PortalRole));
}
