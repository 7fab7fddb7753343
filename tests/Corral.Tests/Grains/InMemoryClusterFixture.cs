using System.Collections.Concurrent;
using System.Collections.Immutable;
using Corral.Hosting;
using Corral.Quotas;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.TestingHost;
using Xunit;

namespace Corral.Tests.Grains;

/// <summary>An in-process cluster with in-memory storage and reminders, for fast grain tests.</summary>
public sealed class InMemoryClusterFixture : IAsyncLifetime
{
    /// <summary>The limit for service "tight"; every other service gets the default.</summary>
    public const int TightLimit = 2;

    /// <summary>Service "capped": this cap across all users (SERVICE_CAPPED_MAX_RUNS), the default quota per user.</summary>
    public const int CappedCap = 2;

    /// <summary>Service "tightcapped": <see cref="TightLimit"/> per user and this cap across all users.</summary>
    public const int TightCappedCap = 3;

    /// <summary>
    /// Services "fairshare" and "fairswitch" (by usage, the default; a test switches the second at run time) and
    /// "rrshare" (SERVICE_RRSHARE_FAIRNESS=round_robin): this cap.
    /// </summary>
    public const int FairShareCap = 2;

    /// <summary>Service "preemptive": this cap, <see cref="TightLimit"/> per user, and SERVICE_PREEMPTIVE_PREEMPTION=true.</summary>
    public const int PreemptiveCap = 2;

    /// <summary>
    /// Services "own1" and "own2", without a cap and SERVICE_&lt;NAME&gt;_PREEMPTION=true: one and two runs per user,
    /// where a user's high job may only take the place of their own lower one.
    /// </summary>
    public const int Own1Limit = 1;

    public const int Own2Limit = 2;

    /// <summary>Service "limited": a job's maximum duration is at most this (SERVICE_LIMITED_MAX_DURATION_SECONDS)...</summary>
    public const int LimitedCeiling = 60;

    /// <summary>...and this when the job asks for none (SERVICE_LIMITED_DEFAULT_DURATION_SECONDS).</summary>
    public const int LimitedDefault = 30;

    /// <summary>Service "budgeted": this cap, and each user's CPU-seconds per day (SERVICE_BUDGETED_CPU_SECONDS_PER_USER_PER_DAY).</summary>
    public const int BudgetedCap = 2;

    public const int BudgetedCpuSecondsPerDay = 100;

    /// <summary>Service "daily" (uncapped): each user's CPU-seconds per day (SERVICE_DAILY_CPU_SECONDS_PER_USER_PER_DAY).</summary>
    public const int DailyCpuSecondsPerDay = 100;

    /// <summary>Service "hourly" (uncapped): each user's jobs per hour (SERVICE_HOURLY_JOBS_PER_USER_PER_HOUR).</summary>
    public const int HourlyJobsPerHour = 2;

    /// <summary>Service "bursty": this cap, one run per user, and this burst per user (SERVICE_BURSTY_BURST_PER_USER).</summary>
    public const int BurstyCap = 3;

    public const int BurstyBurst = 1;

    /// <summary>The no-capacity grace of this cluster, measured on <see cref="NoCapacityClock"/>.</summary>
    public static readonly TimeSpan NoCapacityGrace = TimeSpan.FromSeconds(600);

    // The silo is built from a configurator type, so each cluster finds its clock here by a key in its configuration.
    private static readonly ConcurrentDictionary<string, FakeTimeProvider> Clocks = new(StringComparer.Ordinal);

    private static readonly ConcurrentDictionary<string, FakeTimeProvider> BudgetClocks = new(StringComparer.Ordinal);

    private readonly string _clockKey = Guid.NewGuid().ToString("N");

    public InMemoryClusterFixture()
    {
        Clocks[_clockKey] = NoCapacityClock;
        BudgetClocks[_clockKey] = BudgetClock;
        var builder = new TestClusterBuilder(1).AddSiloBuilderConfigurator<Configurator>();
        builder.Properties[ClockKeyName] = _clockKey;
        Cluster = builder.Build();
    }

    private const string ClockKeyName = "NoCapacityClockKey";

    /// <summary>
    /// The clock this cluster's no-capacity grace runs on; tests move it. Only that policy reads it, so Orleans' own
    /// timers keep the real clock.
    /// </summary>
    public FakeTimeProvider NoCapacityClock { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>The clock users' budgets are measured and woken on; tests move it (Orleans' timers keep the real clock).</summary>
    public FakeTimeProvider BudgetClock { get; } = new(DateTimeOffset.UtcNow);

    public TestCluster Cluster { get; }

    public IGrainFactory Grains => Cluster.GrainFactory;

    public Task InitializeAsync() => Cluster.DeployAsync();

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Clocks.TryRemove(_clockKey, out _);
        BudgetClocks.TryRemove(_clockKey, out _);
    }

    private sealed class Configurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.AddMemoryGrainStorage(GrainStorage.Name);
            silo.AddMemoryGrainStorage(GrainStorage.Dispatcher);
            silo.Services.AddSingleton<Corral.Jobs.IJobIndex, Corral.Jobs.MemoryJobIndex>();
            silo.Services.AddSingleton<Corral.Quotas.IWaitingJobStore, Corral.Quotas.MemoryWaitingJobStore>();
            silo.UseInMemoryReminderService();
            silo.AddHostSiloPlacement();
            silo.Services.AddSingleton(new QuotaOptions(
                new Dictionary<string, int> { ["TIGHT"] = TightLimit, ["TIGHTCAPPED"] = TightLimit, ["BURSTY"] = 1, ["PREEMPTIVE"] = TightLimit, ["OWN1"] = Own1Limit, ["OWN2"] = Own2Limit },
                new Dictionary<string, int>
                {
                    ["CAPPED"] = CappedCap, ["TIGHTCAPPED"] = TightCappedCap, ["FAIRSHARE"] = FairShareCap, ["RRSHARE"] = FairShareCap, ["FAIRSWITCH"] = FairShareCap,
                    ["BUDGETED"] = BudgetedCap, ["BURSTY"] = BurstyCap,
                    ["PREEMPTIVE"] = PreemptiveCap,
                },
                new Dictionary<string, int> { ["LIMITED"] = LimitedCeiling },
                new Dictionary<string, int> { ["LIMITED"] = LimitedDefault })
            {
                FairnessPolicies = new Dictionary<string, Corral.Scheduling.Fairness> { ["RRSHARE"] = Corral.Scheduling.Fairness.RoundRobin }
                    .ToImmutableDictionary(StringComparer.OrdinalIgnoreCase),
                CpuSecondsPerDay = ImmutableDictionary.Create<string, int>(StringComparer.OrdinalIgnoreCase)
                    .Add("BUDGETED", BudgetedCpuSecondsPerDay).Add("DAILY", DailyCpuSecondsPerDay),
                JobsPerHour = ImmutableDictionary.Create<string, int>(StringComparer.OrdinalIgnoreCase).Add("HOURLY", HourlyJobsPerHour),
                Bursts = ImmutableDictionary.Create<string, int>(StringComparer.OrdinalIgnoreCase).Add("BURSTY", BurstyBurst),
                Preemptive = ImmutableHashSet.Create(StringComparer.OrdinalIgnoreCase, "PREEMPTIVE", "OWN1", "OWN2"),
            });
            silo.Services.AddSingleton(new BudgetClock(BudgetClocks[silo.Configuration[ClockKeyName]!]));
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton(Corral.Workers.WorkerLiveness.Default);
            silo.Services.AddSingleton(new Corral.Jobs.NoCapacityPolicy(NoCapacityGrace, Clocks[silo.Configuration[ClockKeyName]!]));

            // Orleans resolves an interface to exactly one grain class: jobs here start on the recording host.
            silo.Services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(Corral.HostAgent.HostGrain)));
        }
    }
}

[CollectionDefinition(Name)]
public sealed class InMemoryClusterCollection : ICollectionFixture<InMemoryClusterFixture>
{
    public const string Name = "in-memory cluster";
}
