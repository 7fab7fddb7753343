using System.Collections;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Corral.Quotas;

/// <summary>
/// Per-service scheduling settings. Concurrent runs per user per service, from SERVICE_&lt;NAME&gt;_RUNS_PER_USER
/// (seed 003); a service without one gets <see cref="DefaultLimit"/>. Running jobs of a service across all users,
/// from SERVICE_&lt;NAME&gt;_MAX_RUNS (job-orchestrator's name); unset is uncapped. A job's maximum duration: its
/// own maxDurationSeconds, else SERVICE_&lt;NAME&gt;_DEFAULT_DURATION_SECONDS, never more than
/// SERVICE_&lt;NAME&gt;_MAX_DURATION_SECONDS. Budgets per user (<see cref="Corral.Scheduling.UsageBudget"/>):
/// SERVICE_&lt;NAME&gt;_JOBS_PER_USER_PER_HOUR, _CPU_SECONDS_PER_USER_PER_DAY, _GPU_SECONDS_PER_USER_PER_DAY (unset:
/// none); a capped service's SERVICE_&lt;NAME&gt;_BURST_PER_USER (default 0). Names match case-insensitively; '-' in a service name is '_'
/// in its variable, since variable names cannot hold '-'.
/// </summary>
public sealed partial class QuotaOptions
{
    public const int DefaultLimit = 5;

    /// <summary>Each user's bounds on waiting jobs and distinct services (USER_MAX_QUEUED_JOBS, USER_MAX_SERVICES).</summary>
    public Corral.Users.UserLimits Users { get; init; } = Corral.Users.UserLimits.Default;

    public QuotaOptions(IReadOnlyDictionary<string, int> limits)
        : this(limits, new Dictionary<string, int>(), new Dictionary<string, int>(), new Dictionary<string, int>())
    {
    }

    public QuotaOptions(
        IReadOnlyDictionary<string, int> limits,
        IReadOnlyDictionary<string, int> maxRuns,
        IReadOnlyDictionary<string, int> maxDurations,
        IReadOnlyDictionary<string, int> defaultDurations)
    {
        Limits = limits.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
        MaxRuns = maxRuns.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
        MaxDurations = maxDurations.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
        DefaultDurations = defaultDurations.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The half-life of users' recorded usage (FAIR_SHARE_HALF_LIFE_SECONDS): one hour unless set.</summary>
    public TimeSpan FairShareHalfLife { get; init; } = DefaultHalfLife;

    public static readonly TimeSpan DefaultHalfLife = TimeSpan.FromHours(1);

    /// <summary>SERVICE_&lt;NAME&gt;_FAIR_SHARE_HALF_LIFE_SECONDS, keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> HalfLives { get; init; } = ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>SERVICE_&lt;NAME&gt;_FAIRNESS, keyed like <see cref="Limits"/>; a service without one is shared by usage.</summary>
    public ImmutableDictionary<string, Corral.Scheduling.Fairness> FairnessPolicies { get; init; } =
        ImmutableDictionary<string, Corral.Scheduling.Fairness>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The services with SERVICE_&lt;NAME&gt;_PREEMPTION=true, keyed like <see cref="Limits"/>: a waiting high-priority
    /// job may end a running lower-priority one (<see cref="Corral.Scheduling.Preemption"/>). Off unless set.
    /// </summary>
    public ImmutableHashSet<string> Preemptive { get; init; } = ImmutableHashSet<string>.Empty.WithComparer(StringComparer.OrdinalIgnoreCase);

    public bool PreemptionFor(string service) => Preemptive.Contains(VariableName(service));

    /// <summary>
    /// SERVICE_&lt;NAME&gt;_PREEMPTION_GRACE_SECONDS, keyed like <see cref="Limits"/>: how long a running job chosen for
    /// preemption has between SIGTERM and SIGKILL (to save a checkpoint, say). None unless set, as Slurm's GraceTime.
    /// </summary>
    public ImmutableDictionary<string, int> PreemptionGraces { get; init; } = ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    public TimeSpan PreemptionGraceFor(string service) => TimeSpan.FromSeconds(Find(PreemptionGraces, VariableName(service)) ?? 0);

    public TimeSpan HalfLifeFor(string service) =>
        HalfLives.TryGetValue(VariableName(service), out var seconds) ? TimeSpan.FromSeconds(seconds) : FairShareHalfLife;

    public Corral.Scheduling.Fairness FairnessFor(string service) =>
        FairnessPolicies.TryGetValue(VariableName(service), out var fairness) ? fairness : Corral.Scheduling.Fairness.Usage;

    /// <summary>SERVICE_&lt;NAME&gt;_MAX_RUNS, keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> MaxRuns { get; }

    /// <summary>SERVICE_&lt;NAME&gt;_JOBS_PER_USER_PER_HOUR, keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> JobsPerHour { get; init; } = ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>SERVICE_&lt;NAME&gt;_CPU_SECONDS_PER_USER_PER_DAY, keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> CpuSecondsPerDay { get; init; } = ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>SERVICE_&lt;NAME&gt;_GPU_SECONDS_PER_USER_PER_DAY, keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> GpuSecondsPerDay { get; init; } = ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>SERVICE_&lt;NAME&gt;_BURST_PER_USER, keyed like <see cref="Limits"/>; only capped services have one.</summary>
    public ImmutableDictionary<string, int> Bursts { get; init; } = ImmutableDictionary<string, int>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    /// <summary>The budgets each user of the service has by the settings (<see cref="Corral.Scheduling.UsageBudget.None"/> when none).</summary>
    public Corral.Scheduling.UsageBudget BudgetFor(string service)
    {
        var name = VariableName(service);
        return new Corral.Scheduling.UsageBudget(Find(JobsPerHour, name), Find(CpuSecondsPerDay, name), Find(GpuSecondsPerDay, name));
    }

    /// <summary>How many jobs beyond their quota a user of a capped service may hold while the service has idle room.</summary>
    public int BurstFor(string service) => Find(Bursts, VariableName(service)) ?? 0;

    private static int? Find(ImmutableDictionary<string, int> values, string name) => values.TryGetValue(name, out var value) ? value : null;

    /// <summary>SERVICE_&lt;NAME&gt;_MAX_DURATION_SECONDS (the ceiling), keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> MaxDurations { get; }

    /// <summary>SERVICE_&lt;NAME&gt;_DEFAULT_DURATION_SECONDS, keyed like <see cref="Limits"/>.</summary>
    public ImmutableDictionary<string, int> DefaultDurations { get; }

    /// <summary>The service-wide cap on running jobs, or null when the service is uncapped.</summary>
    public int? MaxRunsFor(string service) => MaxRuns.TryGetValue(VariableName(service), out var cap) ? cap : null;

    /// <summary>
    /// The maximum duration a job of <paramref name="service"/> runs under by the settings (<see cref="SettleDuration"/>);
    /// null when none applies.
    /// </summary>
    public int? MaxDurationFor(string service, int? requested) =>
        SettleDuration(requested, DefaultDurationFor(service), DurationCeilingFor(service));

    /// <summary>SERVICE_&lt;NAME&gt;_DEFAULT_DURATION_SECONDS of the service, or null.</summary>
    public int? DefaultDurationFor(string service) => Find(DefaultDurations, VariableName(service));

    /// <summary>SERVICE_&lt;NAME&gt;_MAX_DURATION_SECONDS of the service, or null.</summary>
    public int? DurationCeilingFor(string service) => Find(MaxDurations, VariableName(service));

    /// <summary>
    /// A job's maximum duration: the one it asked for, else the default, else the ceiling (so nothing outlives it),
    /// lowered to the ceiling; null when none applies.
    /// </summary>
    public static int? SettleDuration(int? requested, int? fallback, int? ceiling)
    {
        var wanted = requested ?? fallback ?? ceiling;
        return wanted is { } w && ceiling is { } top ? Math.Min(w, top) : wanted;
    }

    /// <summary>A default duration above the ceiling: refused, whether set by the variables or at run time.</summary>
    public static bool DefaultAboveCeiling(int? defaultSeconds, int? ceiling) => defaultSeconds > ceiling;

    /// <summary>Configured limits keyed by the variable's NAME part (upper-case, '_' for '-').</summary>
    public ImmutableDictionary<string, int> Limits { get; }

    public int LimitFor(string service) =>
        Limits.TryGetValue(VariableName(service), out var limit) ? limit : DefaultLimit;

    /// <summary>The services named by a run limit or cap variable, in lower case.</summary>
    public IEnumerable<string> ConfiguredServices =>
        Limits.Keys.Union(MaxRuns.Keys, StringComparer.OrdinalIgnoreCase).Select(k => k.ToLowerInvariant());

    public static string VariableName(string service) => service.ToUpperInvariant().Replace('-', '_');

    /// <summary>Reads every SERVICE_*_ variable of these settings; a bad value stops the process with its name and value.</summary>
    public static QuotaOptions FromEnvironment(IDictionary environment)
    {
        var limits = Read(environment, RunsPerUserPattern(), "run limit");
        var maxRuns = Read(environment, MaxRunsPattern(), "service cap");
        var maxDurations = Read(environment, MaxDurationPattern(), "maximum duration in seconds");
        var defaultDurations = Read(environment, DefaultDurationPattern(), "default duration in seconds");
        foreach (var (name, seconds) in defaultDurations)
        {
            if (maxDurations.TryGetValue(name, out var ceiling) && DefaultAboveCeiling(seconds, ceiling))
            {
                throw new InvalidOperationException(
                    $"SERVICE_{name}_DEFAULT_DURATION_SECONDS='{seconds}' is more than SERVICE_{name}_MAX_DURATION_SECONDS='{ceiling}'.");
            }
        }

        var bursts = Read(environment, BurstPattern(), "burst per user", minimum: 0);
        foreach (var name in bursts.Keys)
        {
            if (!maxRuns.ContainsKey(name))
            {
                // Burst lends a capped service's idle slots; an uncapped service has no idle slots to lend.
                throw new InvalidOperationException(
                    $"SERVICE_{name}_BURST_PER_USER is set but SERVICE_{name}_MAX_RUNS is not: only a capped service has burst.");
            }
        }

        var graces = Read(environment, PreemptionGracePattern(), "preemption grace in seconds", minimum: 0);
        foreach (var (name, seconds) in graces)
        {
            if (seconds > LimitOverrides.MaxPreemptionGraceSeconds)
            {
                throw new InvalidOperationException(
                    $"SERVICE_{name}_PREEMPTION_GRACE_SECONDS='{seconds}' is more than an hour ({LimitOverrides.MaxPreemptionGraceSeconds}): a preempting job would wait that long.");
            }
        }

        var halfLives = Read(environment, HalfLifePattern(), "fair-share half-life in seconds");
        var globalHalfLife = Read(environment, GlobalHalfLifePattern(), "fair-share half-life in seconds");
        return new QuotaOptions(limits, maxRuns, maxDurations, defaultDurations)
        {
            Users = Corral.Users.UserLimits.Read(environment),
            HalfLives = halfLives.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
            FairShareHalfLife = globalHalfLife.Count > 0 ? TimeSpan.FromSeconds(globalHalfLife.Values.Single()) : DefaultHalfLife,
            FairnessPolicies = ReadFairness(environment),
            Preemptive = ReadPreemption(environment),
            PreemptionGraces = graces.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
            JobsPerHour = Read(environment, JobsPerHourPattern(), "job budget per hour").ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
            CpuSecondsPerDay = Read(environment, CpuSecondsPerDayPattern(), "CPU-seconds budget per day").ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
            GpuSecondsPerDay = Read(environment, GpuSecondsPerDayPattern(), "GPU-seconds budget per day").ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
            Bursts = bursts.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
        };
    }

    /// <summary>
    /// SERVICE_&lt;NAME&gt;_PREEMPTION: <c>true</c> or <c>false</c>; anything else stops the process. In a service with
    /// a cap a high job may end anyone's lower one; without a cap, only one of its own user's (each user's quota admits
    /// alone there).
    /// </summary>
    private static ImmutableHashSet<string> ReadPreemption(IDictionary environment)
    {
        var preemptive = ImmutableHashSet.CreateBuilder<string>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            var match = PreemptionPattern().Match(name);
            if (!match.Success)
            {
                continue;
            }

            var service = match.Groups["name"].Value;
            var value = ((string?)entry.Value ?? string.Empty).Trim();
            var on = value.ToLowerInvariant() switch
            {
                "true" => true,
                "false" => false,
                _ => throw new InvalidOperationException($"{name}='{value}' is not a switch: it must be 'true' or 'false'."),
            };
            if (on)
            {
                preemptive.Add(service);
            }
        }

        return preemptive.ToImmutable();
    }

    /// <summary>SERVICE_&lt;NAME&gt;_FAIRNESS: <see cref="Corral.Scheduling.FairnessWords.Choices"/>; anything else stops the process.</summary>
    private static ImmutableDictionary<string, Corral.Scheduling.Fairness> ReadFairness(IDictionary environment)
    {
        var policies = new Dictionary<string, Corral.Scheduling.Fairness>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            var match = FairnessPattern().Match(name);
            if (!match.Success)
            {
                continue;
            }

            var value = ((string?)entry.Value ?? string.Empty).Trim();
            policies[match.Groups["name"].Value] = Corral.Scheduling.FairnessWords.Parse(value)
                ?? throw new InvalidOperationException($"{name}='{value}' is not a fairness: it must be {Corral.Scheduling.FairnessWords.Choices}.");
        }

        return policies.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
    }

    private static Dictionary<string, int> Read(IDictionary environment, Regex pattern, string what, int minimum = 1)
    {
        var values = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in environment)
        {
            var name = (string)entry.Key;
            var match = pattern.Match(name);
            if (!match.Success)
            {
                continue;
            }

            var value = (string?)entry.Value ?? string.Empty;
            if (!int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < minimum)
            {
                throw new InvalidOperationException(
                    $"{name}='{value}' is not a valid {what}: it must be a whole number of at least {minimum}.");
            }

            values[match.Groups["name"].Value] = number;
        }

        return values;
    }

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_RUNS_PER_USER$", RegexOptions.CultureInvariant)]
    private static partial Regex RunsPerUserPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_FAIR_SHARE_HALF_LIFE_SECONDS$", RegexOptions.CultureInvariant)]
    private static partial Regex HalfLifePattern();

    [GeneratedRegex("^(?<name>)FAIR_SHARE_HALF_LIFE_SECONDS$", RegexOptions.CultureInvariant)]
    private static partial Regex GlobalHalfLifePattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_FAIRNESS$", RegexOptions.CultureInvariant)]
    private static partial Regex FairnessPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_PREEMPTION$", RegexOptions.CultureInvariant)]
    private static partial Regex PreemptionPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_PREEMPTION_GRACE_SECONDS$", RegexOptions.CultureInvariant)]
    private static partial Regex PreemptionGracePattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_BURST_PER_USER$", RegexOptions.CultureInvariant)]
    private static partial Regex BurstPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_JOBS_PER_USER_PER_HOUR$", RegexOptions.CultureInvariant)]
    private static partial Regex JobsPerHourPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_CPU_SECONDS_PER_USER_PER_DAY$", RegexOptions.CultureInvariant)]
    private static partial Regex CpuSecondsPerDayPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_GPU_SECONDS_PER_USER_PER_DAY$", RegexOptions.CultureInvariant)]
    private static partial Regex GpuSecondsPerDayPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_MAX_RUNS$", RegexOptions.CultureInvariant)]
    private static partial Regex MaxRunsPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_MAX_DURATION_SECONDS$", RegexOptions.CultureInvariant)]
    private static partial Regex MaxDurationPattern();

    [GeneratedRegex("^SERVICE_(?<name>[A-Za-z0-9_]+)_DEFAULT_DURATION_SECONDS$", RegexOptions.CultureInvariant)]
    private static partial Regex DefaultDurationPattern();
}
