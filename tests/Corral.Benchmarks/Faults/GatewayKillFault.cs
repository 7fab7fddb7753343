namespace Corral.Benchmarks.Faults;

/// <summary>
/// gateway_kill_500: 500 live clients (the load users' browsers) spread over both gateways; one gateway is killed
/// with SIGKILL and started again. Every client on it must connect to the other and be sent the current state: once
/// the jobs have drained, each client's last view of every job of its user must equal what is stored.
/// </summary>
public sealed class GatewayKillFault
{
    public const int Clients = 500;

    private const int KilledGateway = 0;
    private static readonly TimeSpan DeliveryGrace = TimeSpan.FromSeconds(10);

    private readonly List<LiveWatcher> _watchers = [];
    private double _reconnectSeconds = double.NaN;

    public Fault Fault => new(
        "gateway_kill_500",
        $"a gateway killed with SIGKILL while {Clients} live clients are attached (they reconnect to the other), then started again",
        InjectAsync,
        AfterDrainAsync);

    private async Task<DateTime> InjectAsync(FaultContext context)
    {
        var users = context.Users;
        for (var i = 0; i < Clients; i++)
        {
            _watchers.Add(new LiveWatcher(context.Cluster, users[i % users.Count]));
        }

        // A few at a time: 500 handshakes at once would be a fault of their own on this host.
        foreach (var batch in _watchers.Select((w, i) => (w, i)).Chunk(25))
        {
            await Task.WhenAll(batch.Select(b => b.w.ConnectAsync(b.i % FaultCluster.GatewayCount)));
        }

        var onKilled = _watchers.Count(w => w.Gateway == KilledGateway);
        context.Report.Note($"gateway_kill_500: {_watchers.Count} clients connected, {onKilled} on gateway {KilledGateway}; killing it");
        var killedAt = DateTime.UtcNow;
        context.Cluster.KillGateway(KilledGateway);
        // A client on the killed gateway notices when its connection closes; until then it is still counted as connected.
        await WaitUntilAsync(() => _watchers.Where(w => w.Gateway == KilledGateway).All(w => !w.Connected), TimeSpan.FromSeconds(30));
        var moved = await WaitUntilAsync(() => _watchers.All(w => w.Connected && w.Gateway != KilledGateway), TimeSpan.FromMinutes(3));
        var last = _watchers.Where(w => w.ReconnectedAt is not null).Select(w => w.ReconnectedAt!.Value).DefaultIfEmpty(killedAt).Max();
        _reconnectSeconds = moved ? (last - killedAt).TotalSeconds : double.NaN;
        context.Report.Note($"gateway_kill_500: {(moved ? "every" : "not every")} client reconnected to the other gateway; " +
            $"the last {(last - killedAt).TotalSeconds:0.00} s after the kill");
        context.Cluster.StartGateway(KilledGateway);
        return DateTime.UtcNow;
    }

    private async Task<IReadOnlyDictionary<string, double>> AfterDrainAsync(FaultContext context, InvariantCheck check)
    {
        var stored = await check.StoredStatusesAsync(context.Users);
        // The last events of the drain are on their way.
        var stale = 0;
        await WaitUntilAsync(() => (stale = Stale(stored)) == 0, DeliveryGrace);
        foreach (var watcher in _watchers.Where(w => Stale(w, stored) > 0).Take(10))
        {
            var wrong = stored.Where(s => s.Value.User == watcher.User.Name && watcher.StatusOf(s.Key) != s.Value.Status)
                .Select(s => $"{s.Key} shows {watcher.StatusOf(s.Key) ?? "nothing"}, stored {s.Value.Status}");
            context.Report.Note($"gateway_kill_500: a client of {watcher.User.Name} (gateway {watcher.Gateway}): {string.Join("; ", wrong.Take(5))}");
        }

        var figures = new Dictionary<string, double>
        {
            ["live_clients"] = _watchers.Count,
            ["live_clients_reconnected"] = _watchers.Count(w => w.Failovers > 0),
            ["live_reconnect_seconds"] = _reconnectSeconds,
            ["live_job_views_checked"] = _watchers.Sum(w => stored.Count(s => s.Value.User == w.User.Name)),
            ["live_clients_stale"] = _watchers.Count(w => Stale(w, stored) > 0),
            ["live_job_views_stale"] = stale,
        };
        await Task.WhenAll(_watchers.Select(w => w.DisposeAsync().AsTask()));
        _watchers.Clear();
        return figures;
    }

    /// <summary>Job views, over every client, that differ from the stored job (or were never sent).</summary>
    private int Stale(IReadOnlyDictionary<string, (string User, string Status)> stored) =>
        _watchers.Sum(w => Stale(w, stored));

    private static int Stale(LiveWatcher watcher, IReadOnlyDictionary<string, (string User, string Status)> stored) =>
        stored.Count(s => s.Value.User == watcher.User.Name && watcher.StatusOf(s.Key) != s.Value.Status);

    private static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(250);
        }

        return true;
    }
}
