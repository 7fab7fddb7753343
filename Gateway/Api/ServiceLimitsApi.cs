using System.Text.Json;
using Corral.Gateway.Api.Requests;
using Corral.Gateway.Jobs;
using Corral.Quotas;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Corral.Gateway.Api;

/// <summary>
/// An admin's view and run-time change of a service's limits (/api/quotas/services/{service}): each user's runs and
/// budgets, jobs' durations, and for a service with a cap, the cap, each user's burst, preemption and fairness. The
/// settings (SERVICE_&lt;NAME&gt;_RUNS_PER_USER, _MAX_RUNS, _BURST_PER_USER, _JOBS_PER_USER_PER_HOUR,
/// _CPU_SECONDS_PER_USER_PER_DAY, _GPU_SECONDS_PER_USER_PER_DAY, _DEFAULT_DURATION_SECONDS, _MAX_DURATION_SECONDS,
/// _FAIRNESS, _FAIR_SHARE_HALF_LIFE_SECONDS, _PREEMPTION, _PREEMPTION_GRACE_SECONDS) stay the defaults; an override is persisted by the
/// service's admission grain and applies to its next decision (a duration: to each job admitted from then on).
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
        ("defaultDurationSeconds", 1, JobSpecRules.MaxDurationSecondsLimit),
        ("maxDurationSeconds", 1, JobSpecRules.MaxDurationSecondsLimit),
        ("fairShareHalfLifeSeconds", 1, MaxSeconds),
        ("preemptionGraceSeconds", 0, LimitOverrides.MaxPreemptionGraceSeconds),
    ];

    private static readonly string FieldNames = string.Join(", ", Fields.Select(f => f.Name).Append(FairnessField));

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

        var change = await grains.GetGrain<IServiceQuotaGrain>(service.ToLowerInvariant()).SetLimitsAsync(overrides);
        return change.Limits is { } limits ? TypedResults.Ok(limits) : Problems.Invalid(change.RefusedField!, change.Problem!);
    }

    /// <summary>
    /// The body: an object with any of <c>runsPerUser</c>, <c>maxRuns</c>, <c>jobsPerHour</c> (each a whole number from
    /// 1 to <see cref="MaxValue"/>), <c>burstPerUser</c> (0 to <see cref="MaxValue"/>), <c>cpuSecondsPerDay</c>,
    /// <c>gpuSecondsPerDay</c>, <c>fairShareHalfLifeSeconds</c> (1 to <see cref="MaxSeconds"/>),
    /// <c>defaultDurationSeconds</c>, <c>maxDurationSeconds</c> (1 to a job's own most), <c>preemptionGraceSeconds</c>
    /// (0 to <see cref="LimitOverrides.MaxPreemptionGraceSeconds"/>), <c>fairness</c>
    /// (<see cref="Corral.Scheduling.FairnessWords.Choices"/>), <c>preemption</c> (true or false); a field left out keeps its
    /// setting's value. What depends on the service (a default above its ceiling, a field only a capped service has)
    /// its grain checks.
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
        string? fairness = null;
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
            else if (field.Name == FairnessField)
            {
                fairness = FairnessWord(field, errors);
            }
            else
            {
                errors[field.Name] = [$"is not a limit that can be changed: use {FieldNames} or {PreemptionField}"];
            }
        }

        if (errors.Count == 0 && values.Count == 0 && preemption is null && fairness is null)
        {
            errors["body"] = [$"names no limit: give any of {FieldNames} or {PreemptionField} (DELETE returns to the settings)"];
        }

        int? Value(string name) => values.TryGetValue(name, out var v) ? v : null;
        return (new LimitOverrides(
            Value("runsPerUser"), Value("maxRuns"), Value("burstPerUser"), Value("jobsPerHour"), Value("cpuSecondsPerDay"), Value("gpuSecondsPerDay"),
            preemption, Value("defaultDurationSeconds"), Value("maxDurationSeconds"), fairness, Value("fairShareHalfLifeSeconds"),
            Value("preemptionGraceSeconds")), errors);
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

    /// <summary>SERVICE_&lt;NAME&gt;_FAIRNESS at run time: its setting's words.</summary>
    private const string FairnessField = "fairness";

    /// <summary>The fairness's word as the setting spells it, read as the setting is (<see cref="Corral.Scheduling.FairnessWords.Parse"/>).</summary>
    private static string? FairnessWord(JsonProperty field, Dictionary<string, string[]> errors)
    {
        if (field.Value.ValueKind == JsonValueKind.String && Corral.Scheduling.FairnessWords.Parse(field.Value.GetString()!) is { } fairness)
        {
            return Corral.Scheduling.FairnessWords.Of(fairness);
        }

        errors[field.Name] = [$"must be {Corral.Scheduling.FairnessWords.Choices}"];
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
}
