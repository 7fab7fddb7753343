using System.Text.Json;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Jobs;
using Corral.Quotas;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Corral.Gateway.Api;

/// <summary>
/// An admin's view and run-time change of a service's limits (/api/quotas/services/{service}): each user's runs and
/// budgets, and for a service with a cap, the cap and each user's burst. The settings (SERVICE_&lt;NAME&gt;_RUNS_PER_USER, _MAX_RUNS,
/// _BURST_PER_USER, _JOBS_PER_USER_PER_HOUR, _CPU_SECONDS_PER_USER_PER_DAY, _GPU_SECONDS_PER_USER_PER_DAY) stay the
/// defaults; an override is persisted by the service's admission grain and applies to its next decision.
/// </summary>
public static class ServiceLimitsApi
{
    /// <summary>The most a limit may be set to: well past any cluster's slots, so a typo does not read as "unlimited".</summary>
    public const int MaxValue = 100_000;

    /// <summary>The most a CPU- or GPU-seconds budget may be set to: a thousand cores busy all day, and then some.</summary>
    public const int MaxSeconds = 1_000_000_000;

    /// <summary>The fields a body may hold: name, least value, most value.</summary>
    private static readonly (string Name, int Min, int Max)[] Fields =
    [
        ("runsPerUser", 1, MaxValue),
        ("maxRuns", 1, MaxValue),
        ("burstPerUser", 0, MaxValue),
        ("jobsPerHour", 1, MaxValue),
        ("cpuSecondsPerDay", 1, MaxSeconds),
        ("gpuSecondsPerDay", 1, MaxSeconds),
    ];

    private static readonly string FieldNames = string.Join(", ", Fields.Select(f => f.Name));

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

        return TypedResults.Ok(await grains.GetGrain<IServiceQuotaGrain>(service.ToLowerInvariant()).GetLimitsAsync());
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
            : Uncapped(service, overrides);
    }

    /// <summary>
    /// The body: an object with any of <c>runsPerUser</c>, <c>maxRuns</c>, <c>jobsPerHour</c> (each a whole number from
    /// 1 to <see cref="MaxValue"/>), <c>burstPerUser</c> (0 to <see cref="MaxValue"/>), <c>cpuSecondsPerDay</c>,
    /// <c>gpuSecondsPerDay</c> (1 to <see cref="MaxSeconds"/>), <c>preemption</c> (true or false); a field left out keeps its setting's value.
    /// </summary>
    public static (LimitOverrides? Overrides, Dictionary<string, string[]> Errors) Parse(JsonElement? body)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (body is not { ValueKind: JsonValueKind.Object } json)
        {
            errors["body"] = ["must be a JSON object such as {\"runsPerUser\": 3, \"maxRuns\": 20}"];
            return (null, errors);
        }

        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        bool? preemption = null;
        foreach (var field in json.EnumerateObject())
        {
            if (Array.FindIndex(Fields, f => f.Name == field.Name) is var at and >= 0)
            {
                if (Limit(field, Fields[at].Min, Fields[at].Max, errors) is { } value)
                {
                    values[field.Name] = value;
                }
            }
            else if (field.Name == PreemptionField)
            {
                preemption = Switch(field, errors);
            }
            else
            {
                errors[field.Name] = [$"is not a limit that can be changed: use {FieldNames} or {PreemptionField}"];
            }
        }

        if (errors.Count == 0 && values.Count == 0 && preemption is null)
        {
            errors["body"] = [$"names no limit: give any of {FieldNames} or {PreemptionField} (DELETE returns to the settings)"];
        }

        int? Value(string name) => values.TryGetValue(name, out var v) ? v : null;
        return (new LimitOverrides(
            Value("runsPerUser"), Value("maxRuns"), Value("burstPerUser"), Value("jobsPerHour"), Value("cpuSecondsPerDay"), Value("gpuSecondsPerDay"),
            preemption), errors);
    }

    /// <summary>SERVICE_&lt;NAME&gt;_PREEMPTION at run time: true or false.</summary>
    private const string PreemptionField = "preemption";

    private static bool? Switch(JsonProperty field, Dictionary<string, string[]> errors)
    {
        if (field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            return field.Value.GetBoolean();
        }

        errors[field.Name] = ["must be true or false"];
        return null;
    }

    private static int? Limit(JsonProperty field, int min, int max, Dictionary<string, string[]> errors)
    {
        if (field.Value.ValueKind == JsonValueKind.Number && field.Value.TryGetInt32(out var value) && value >= min && value <= max)
        {
            return value;
        }

        errors[field.Name] = [$"must be a whole number from {min} to {max}"];
        return null;
    }

    private static ValidationProblem? Invalid(string service) =>
        JobSpecValidator.IsValidService(service) ? null : Problems.Invalid("service", JobSpecRules.Service);

    /// <summary>A cap or burst asked of a service without a cap: turning a cap on would move its admission state.</summary>
    private static ValidationProblem Uncapped(string service, LimitOverrides? overrides) => Problems.Invalid(
        overrides?.MaxRuns is not null ? "maxRuns" : "burstPerUser",
        $"'{service}' has no cap (SERVICE_{service.ToUpperInvariant().Replace('-', '_')}_MAX_RUNS): a cap and a burst apply only to a service started with a cap; its runsPerUser, budgets and preemption can change");
}
