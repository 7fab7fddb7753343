namespace Corral.Benchmarks.Faults;

/// <summary>Every fault the suite knows, in the order it runs them; CORRAL_FAULTS=name,... picks some.</summary>
public static class FaultCatalog
{
    public static IReadOnlyList<Fault> All { get; } =
    [
        new("pg_stop", "PostgreSQL stopped for 30 s, then started again", async context =>
        {
            await context.Database.StopAsync();
            await Task.Delay(TimeSpan.FromSeconds(30));
            await context.Database.RestartAsync();
            return DateTime.UtcNow;
        }),
        new("pg_kill", "PostgreSQL's postmaster killed with SIGKILL, then started again", async context =>
        {
            await context.Database.KillPostmasterAsync();
            await context.Database.RestartAsync();
            return DateTime.UtcNow;
        }),
        new("agent_kill", "the host agent killed with SIGKILL and restarted, 10 times in a row, while jobs run", async context =>
        {
            for (var round = 0; round < 10; round++)
            {
                context.Cluster.KillHostAgent();
                context.Cluster.StartHostAgent();
                await Task.Delay(TimeSpan.FromSeconds(3));
            }

            return DateTime.UtcNow;
        }),
        new("silo_kill", "one of three core silos killed with SIGKILL, then (once serving again) another", async context =>
        {
            context.Cluster.KillSilo(0);
            var first = await context.Probe.SecondsUntilServingAsync(DateTime.UtcNow);
            context.Report.Note($"silo_kill: serving again {first:0.00} s after the first silo died; killing a second");
            context.Cluster.KillSilo(1);
            return DateTime.UtcNow;
        }),
        new GatewayKillFault().Fault,
        new("output_disk_full", $"the agent's job output file system ({OutputFileSystem.SizeMiB} MiB) full for 20 s, then freed", async context =>
        {
            var taken = await context.OutputFiles.FillAsync();
            context.Report.Note($"output_disk_full: {taken >> 20} MiB written until the file system was full; freed in 20 s");
            await Task.Delay(TimeSpan.FromSeconds(20));
            context.OutputFiles.Free();
            return DateTime.UtcNow;
        }),
        EngineRestart(liveRestore: false),
        EngineRestart(liveRestore: true),
    ];

    /// <summary>Restores what a fault left down (the silos it killed) before the next fault.</summary>
    public static async Task RepairAsync(FaultContext context)
    {
        context.Cluster.RestartDeadSilos();
        await context.Cluster.WaitUntilWorkerIsAliveAsync(TimeSpan.FromSeconds(120));
    }

    /// <summary>
    /// The host agent's Docker engine stopped (SIGTERM, as a service manager does) while jobs run, down for 10 s, then
    /// started again on the same data root. Live-restore off: the engine stops the running containers on its way down.
    /// On: they keep running, and the engine takes them back when it starts.
    /// </summary>
    private static Fault EngineRestart(bool liveRestore) => new(
        liveRestore ? "docker_restart_live" : "docker_restart",
        $"the host agent's Docker engine (live-restore {(liveRestore ? "on" : "off")}) stopped for 10 s while jobs run, then started again",
        async context =>
        {
            var engine = context.OwnEngine?.Engine ?? throw new InvalidOperationException("an engine restart needs the suite's own engine");
            await engine.SetLiveRestoreAsync(liveRestore);
            var running = (await engine.DockerAsync("ps", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            var stopping = DateTime.UtcNow;
            await engine.RestartAsync(TimeSpan.FromSeconds(10));
            var survived = (await engine.DockerAsync("ps", "-q")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            context.Report.Note($"{(liveRestore ? "docker_restart_live" : "docker_restart")}: {running} containers running before, " +
                $"{survived} running when the engine was back ({(DateTime.UtcNow - stopping).TotalSeconds:0.0} s after the stop began)");
            return DateTime.UtcNow;
        },
        NeedsOwnEngine: true);
}
