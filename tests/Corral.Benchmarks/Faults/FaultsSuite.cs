namespace Corral.Benchmarks.Faults;

/// <summary>
/// Every fault of <see cref="FaultCatalog"/> against the running system (three core silos, a host agent, two gateways,
/// processes on a PostgreSQL server of the suite's own) under a steady load, then the invariants from the stored data.
/// Per fault: recovery_seconds (fault over until a new job succeeds; recovery_accepted_seconds until it was accepted), jobs_lost, jobs_doubled, slots_leaked (each
/// must be 0), requests_refused (503 with Retry-After during the outage), requests_failed (500 or no answer: 0).
/// </summary>
public sealed class FaultsSuite : IBenchmarkSuite
{
    private static readonly Dictionary<string, int> Limits = new(StringComparer.Ordinal)
    {
        ["alpha"] = 2,
        ["beta"] = 1,
        ["gamma"] = 3,
        [RecoveryProbe.Service] = 4,
    };

    private static readonly string[] LoadServices = ["alpha", "beta", "gamma"];
    private static readonly TimeSpan LoadBefore = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LoadAfter = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(4);

    public string Name => "faults";

    public string Description => "components killed or restarted under load: recovery time, jobs lost/doubled, slots leaked";

    public async Task RunAsync(BenchmarkReport report, CancellationToken cancellationToken)
    {
        var faults = Chosen();
        var database = await FaultDatabaseServer.StartAsync();
        var name = "faults_" + Guid.NewGuid().ToString("N")[..10];
        var connectionString = await database.CreateDatabaseAsync(name);
        var settings = Limits.ToDictionary(l => $"SERVICE_{l.Key.ToUpperInvariant()}_RUNS_PER_USER", l => l.Value.ToString());
        // Longer than ten agent restarts in a row: an agent that comes back keeps its jobs.
        settings["CORRAL_WORKER_LOST_AFTER_SECONDS"] = "90";
        report.Note($"faults: PostgreSQL on port {database.Port}, database {name}; starting 3 silos, 2 gateways, a host agent");
        // Declared first, so disposed last: the cluster's cleanup deletes its folder in it.
        await using var outputFiles = await OutputFileSystem.MountAsync();
        // An engine of the suite's own only when a fault restarts it: every other fault runs on this machine's engine.
        await using var ownEngine = faults.Any(f => f.NeedsOwnEngine) ? await OwnEngineHost.StartAsync(database.Port) : null;
        if (ownEngine is not null)
        {
            report.Note($"faults: the host agent runs in network namespace {ownEngine.Host.Name} on a Docker engine of its own");
        }

        await using var cluster = await FaultCluster.StartAsync(connectionString, name, settings, outputFiles.Path, ownEngine);
        var probe = new RecoveryProbe(cluster, await cluster.CreateUserAsync("probe"));
        var context = new FaultContext(cluster, database, outputFiles, probe, report) { OwnEngine = ownEngine };
        report.Note($"faults: serving after {await probe.SecondsUntilServingAsync(DateTime.UtcNow):0.00} s");

        var round = 0;
        foreach (var fault in faults)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await RunOneAsync(fault, context, connectionString, round++);
            await FaultCatalog.RepairAsync(context);
        }
    }

    private static async Task RunOneAsync(Fault fault, FaultContext shared, string connectionString, int round)
    {
        var (cluster, report) = (shared.Cluster, shared.Report);
        report.Note($"{fault.Name}: {fault.Description}");
        var users = new List<LoadUser>();
        foreach (var index in Enumerable.Range(0, 4))
        {
            var user = $"f{round}u{index}{Guid.NewGuid().ToString("N")[..4]}";
            users.Add(new LoadUser(user, await cluster.CreateUserAsync(user)));
        }

        var context = shared with { Users = users };
        await using var load = new SteadyLoad(cluster, users, LoadServices);
        load.Start();
        await Task.Delay(LoadBefore);
        var healed = await fault.InjectAsync(context);
        var recovery = await context.Probe.UntilServingAsync(healed);
        report.Note($"{fault.Name}: the probe's job succeeded after {recovery.Submissions} submission(s): {recovery.Steps}");
        await Task.Delay(LoadAfter);
        await load.StopAsync();

        var check = new InvariantCheck(cluster, connectionString, Limits);
        await check.DrainAsync(users, DrainTimeout);
        var outcome = await check.CheckAsync(users, load.Accepted);
        IReadOnlyDictionary<string, double> own = fault.AfterDrainAsync is { } afterDrain ? await afterDrain(context, check) : new Dictionary<string, double>();
        foreach (var detail in check.Details.Take(40))
        {
            report.Note($"{fault.Name}: {detail}");
        }

        foreach (var failure in load.Requests.Failures.Take(20))
        {
            report.Note($"{fault.Name}: request failed at {failure}");
        }

        if (load.Requests.Failed + load.Requests.Hung > 0)
        {
            report.Note($"{fault.Name}: why the gateways answered 500:\n{string.Join('\n', cluster.GatewayExceptionLines())}");
        }

        var exited = cluster.ExitedSilos();
        foreach (var silo in exited)
        {
            report.Note($"{fault.Name}: a silo exited on its own, {silo}");
        }

        if (outcome.Lost + outcome.Doubled + outcome.SlotsLeaked + outcome.SlotsOverLimit + outcome.LogsWrong + outcome.IncoherentHistories > 0)
        {
            report.Note($"{fault.Name}: the processes' last lines:\n{cluster.Diagnostics()}");
        }

        var prefix = $"faults.{fault.Name}.";
        report.Figure(prefix + "recovery_seconds", recovery.Seconds);
        report.Figure(prefix + "recovery_accepted_seconds", recovery.AcceptedSeconds);
        report.Figure(prefix + "jobs_accepted", outcome.Accepted);
        report.Figure(prefix + "jobs_lost", outcome.Lost + load.GaveUp);
        report.Figure(prefix + "jobs_doubled", outcome.Doubled);
        report.Figure(prefix + "slots_leaked", outcome.SlotsLeaked + outcome.SlotsOverLimit);
        report.Figure(prefix + "histories_incoherent", outcome.IncoherentHistories);
        report.Figure(prefix + "logs_wrong", outcome.LogsWrong);
        report.Figure(prefix + "counters_backwards", load.CountersBackwards);
        report.Figure(prefix + "jobs_failed", outcome.JobsFailed);
        report.Figure(prefix + "requests_refused", load.Requests.Refused);
        report.Figure(prefix + "requests_failed", load.Requests.Failed + load.Requests.Hung);
        report.Figure(prefix + "silos_exited", exited.Count);
        foreach (var (name, value) in own)
        {
            report.Figure(prefix + name, value);
        }
    }

    private static List<Fault> Chosen()
    {
        if (Environment.GetEnvironmentVariable("CORRAL_FAULTS") is not { Length: > 0 } names)
        {
            return [.. FaultCatalog.All];
        }

        var chosen = new List<Fault>();
        foreach (var name in names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            chosen.Add(FaultCatalog.All.FirstOrDefault(f => f.Name == name)
                ?? throw new ArgumentException($"CORRAL_FAULTS: unknown fault '{name}'; known: {string.Join(", ", FaultCatalog.All.Select(f => f.Name))}"));
        }

        return chosen;
    }
}
