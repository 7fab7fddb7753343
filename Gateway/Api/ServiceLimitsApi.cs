using System.Text.Json;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Jobs;
using Corral.Quotas;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Corral.Gateway.Api;

/// <summary>
/// An admin's view and run-time change of a capped service's limits (/api/quotas/services/{service}): each user's runs
/// and the service's cap. The settings (SERVICE_&lt;NAME&gt;_RUNS_PER_USER, SERVICE_&lt;NAME&gt;_MAX_RUNS) stay the
/// defaults; an override is persisted by the service's admission grain and applies to its next decision.
/// </summary>
public static class ServiceLimitsApi
{
    /// <summary>The most a limit may be set to: well past any cluster's slots, so a typo does not read as "unlimited".</summary>
    public const int MaxValue = 100_000;

    private const string Route = "/api/quotas/services/{service}";

    public static void MapServiceLimitsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Route, GetAsync).RequireAuthorization(AdminPolicy.Name);
        app.MapPut(Route, SetAsync).RequireAuthorization(AdminPolicy.Name);
        app.MapDelete(Route, (string service, IGrainFactory grains) => ApplyAsync(service, null, grains)).RequireAuthorization(AdminPolicy.Name);
    }

    private static async Task<Results<Ok<ServiceLimits>, ValidationProblem>> GetAsync(string service, IGrainFactory grains)
    {
        if (Invalid(service) is { } problem)
        {
            return problem;
        }

        return await grains.GetGrain<IServiceQuotaGrain>(service.ToLowerInvariant()).GetLimitsAsync() is { } limits
            ? TypedResults.Ok(limits)
            : Uncapped(service);
    }

    private static async Task<Results<Ok<ServiceLimits>, ValidationProblem>> SetAsync(
        string service, JsonElement? body, IGrainFactory grains)
    {
        var (overrides, errors) = Parse(body);
        return errors.Count > 0 ? Problems.Invalid(errors) : await ApplyAsync(service, overrides, grains);
    }

    private static async Task<Results<Ok<ServiceLimits>, ValidationProblem>> ApplyAsync(
        string service, LimitOverrides? overrides, IGrainFactory grains)
    {
        if (Invalid(service) is { } problem)
        {
            return problem;
        }

        return await grains.GetGrain<IServiceQuotaGrain>(service.ToLowerInvariant()).SetLimitsAsync(overrides) is { } limits
            ? TypedResults.Ok(limits)
            : Uncapped(service);
    }

    /// <summary>
    /// The body: an object with <c>runsPerUser</c> and/or <c>maxRuns</c>, each a whole number from 1 to
    /// <see cref="MaxValue"/>, and/or <c>preemption</c>, true or false; a field left out keeps its setting's value.
    /// </summary>
    public static (LimitOverrides? Overrides, Dictionary<string, string[]> Errors) Parse(JsonElement? body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body is not { ValueKind: JsonValueKind.Object } json)
        {
            errors["body"] = ["must be a JSON object such as {\"runsPerUser\": 3, \"maxRuns\": 20}"];
            return (null, errors);
        }

        int? runsPerUser = null;
        int? maxRuns = null;
        bool? preemption = null;
        foreach (var field in json.EnumerateObject())
        {
            switch (field.Name)
            {
                case "runsPerUser":
                    runsPerUser = Limit(field, errors);
                    break;
                case "maxRuns":
                    maxRuns = Limit(field, errors);
                    break;
                case "preemption":
                    preemption = Switch(field, errors);
                    break;
                default:
                    errors[field.Name] = ["is not a limit that can be changed: use runsPerUser, maxRuns or preemption"];
                    break;
            }
        }

        if (errors.Count == 0 && runsPerUser is null && maxRuns is null && preemption is null)
        {
            errors["body"] = ["names no limit: give runsPerUser, maxRuns or preemption (DELETE returns to the settings)"];
        }

        return (new LimitOverrides(runsPerUser, maxRuns, preemption), errors);
    }

    private static bool? Switch(JsonProperty field, Dictionary<string, string[]> errors)
    {
        if (field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return field.Value.GetBoolean();
        }

        errors[field.Name] = ["must be true or false"];
        return null;
    }

    private static int? Limit(JsonProperty field, Dictionary<string, string[]> errors)
    {
        if (field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt32(out var value) && value is >= 1 and <= MaxValue)
        {
            return value;
        }

        errors[field.Name] = [$"must be a whole number from 1 to {MaxValue}"];
        return null;
    }

    private static ValidationProblem? Invalid(string service) =>
        JobSpecValidator.IsValidService(service) ? null : Problems.Invalid("service", JobSpecRules.Service);

    private static ValidationProblem Uncapped(string service) => Problems.Invalid(
        "service",
        $"'{service}' has no cap (SERVICE_{service.ToUpperInvariant().Replace('-', '_')}_MAX_RUNS): only a capped service's limits change at run time");
}
