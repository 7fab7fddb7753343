using System.Security.Claims;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Auth;
using Corral.Gateway.Operations;
using Corral.Gateway.Users;
using Corral.Users;
using Corral.Workers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Corral.Gateway.Api;

/// <summary>Users (admin), tokens (the caller's; any user's for admins), quotas (the caller's), workers and the cluster overview (admin).</summary>
public static class AccountsApi
{
    public static void MapAccountsApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/users", CreateUserAsync).RequireAuthorization(AdminPolicy.Name);
        app.MapPost("/api/tokens", TokenEndpoints.CreateOwnAsync).RequireAuthorization();
        app.MapGet("/api/tokens", TokenEndpoints.ListOwnAsync).RequireAuthorization();
        app.MapDelete("/api/tokens/{id}", TokenEndpoints.RevokeOwnAsync).RequireAuthorization();
        // That user or an admin; anyone else is answered 404, as for a user that does not exist.
        app.MapPost("/api/users/{name}/tokens", TokenEndpoints.RotateAsync).RequireAuthorization();
        app.MapGet("/api/users/{name}/tokens", TokenEndpoints.ListOfUserAsync).RequireAuthorization();
        app.MapDelete("/api/users/{name}/tokens/{id}", TokenEndpoints.RevokeOfUserAsync).RequireAuthorization();
        app.MapGet("/api/workers", async (IGrainFactory grains) =>
            TypedResults.Ok(await grains.GetGrain<IDispatcherGrain>(0).GetWorkersAsync())).RequireAuthorization(AdminPolicy.Name);
        app.MapPost("/api/workers/{name}/drain", (string name, IGrainFactory grains) => SetDrainingAsync(name, true, grains))
            .RequireAuthorization(AdminPolicy.Name);
        app.MapDelete("/api/workers/{name}/drain", (string name, IGrainFactory grains) => SetDrainingAsync(name, false, grains))
            .RequireAuthorization(AdminPolicy.Name);
        app.MapGet("/api/admin/overview", async (ClusterOverviewReader overview, CancellationToken cancellationToken) =>
            TypedResults.Ok(await overview.ReadAsync(cancellationToken))).RequireAuthorization(AdminPolicy.Name);
        app.MapGet("/api/quotas", async (ClaimsPrincipal principal, IGrainFactory grains) =>
            TypedResults.Ok(await grains.GetGrain<IUserGrain>(TokenAuthenticationHandler.CallerOf(principal).Name).GetQuotasAsync()))
            .RequireAuthorization();
        app.MapGet("/api/me", (ClaimsPrincipal principal) => TypedResults.Ok(TokenAuthenticationHandler.CallerOf(principal)))
            .RequireAuthorization();
    }

    /// <summary>Drains a worker (POST) or opens it again (DELETE); its running jobs carry on either way.</summary>
    private static async Task<Results<Ok<WorkerView>, ProblemHttpResult>> SetDrainingAsync(string name, bool draining, IGrainFactory grains) =>
        await grains.GetGrain<IWorkerGrain>(name).SetDrainingAsync(draining) is { } worker
            ? TypedResults.Ok(worker)
            : Problems.NotFound($"no worker '{name}' has registered");

    private static async Task<Results<Created<CreatedUser>, ValidationProblem, ProblemHttpResult>> CreateUserAsync(
        NewUserRequest? body, UserDirectory users, CancellationToken cancellationToken)
    {
        if (body?.Name is not { } name || !UserName.IsValid(name))
        {
            return Problems.Invalid("name", $"must be {UserName.Rule}");
        }

        if (body.Role is not (null or "user" or TokenAuthenticationHandler.PortalRole))
        {
            return Problems.Invalid("role", $"must be 'user' or '{TokenAuthenticationHandler.PortalRole}'");
        }

        var token = await users.CreateAsync(name, isAdmin: false, cancellationToken, isPortal: body.Role == TokenAuthenticationHandler.PortalRole);
        return token is null
            ? Problems.Field("name", $"user '{name}' already exists", StatusCodes.Status409Conflict)
            : TypedResults.Created($"/api/users/{name}", new CreatedUser(name, token));
    }
}

public static class AdminPolicy
{
    public const string Name = "admin";
}
