using System.Net.Http.Headers;
using Corral.Tests.EndToEnd;

namespace Corral.Tests.Fleet;

/// <summary>
/// The system as several processes of each kind behind one URL: three core silos, one host agent on this machine's
/// engine, two gateways, and HAProxy in front of the gateways with the shipped configuration
/// (<see cref="LoadBalancer"/>). Built on <see cref="CorralSystem"/>, whose silo, agent and gateway are the first ones.
/// </summary>
public sealed class FleetSystem : CorralSystem
{
    private readonly List<ManagedProcess> _moreSilos = [];

    public LoadBalancer Balancer { get; private set; } = null!;

    /// <summary>The core silos, the first one being <see cref="CorralSystem.Silo"/>.</summary>
    public IReadOnlyList<ManagedProcess> CoreSilos => [Silo, .. _moreSilos];

    /// <summary>The gateways by their server names in the balancer (also the values of its stickiness cookie).</summary>
    public Dictionary<string, ManagedProcess> Gateways { get; } = new(StringComparer.Ordinal);

    public override async Task InitializeAsync()
    {
        try
        {
            await base.InitializeAsync();
            var operations = new List<Uri>();
            for (var i = 2; i <= 3; i++)
            {
                var ops = new Uri($"http://127.0.0.1:{TestEnvironment.FreePort()}");
                operations.Add(ops);
                _moreSilos.Add(Start($"silo-{i}", "Silo", "Corral.Silo", new()
                {
                    ["CORRAL_SILO_PORT"] = TestEnvironment.FreePort().ToString(),
                    ["CORRAL_GATEWAY_PORT"] = TestEnvironment.FreePort().ToString(),
                    ["CORRAL_OPS_URL"] = ops.ToString().TrimEnd('/'),
                }));
            }

            var (second, secondAddress) = await StartExtraGatewayAsync();
            Gateways["gateway1"] = Gateway;
            Gateways["gateway2"] = second;
            Balancer = LoadBalancer.Start(new Dictionary<string, Uri> { ["gateway1"] = BaseAddress, ["gateway2"] = secondAddress });
            foreach (var ops in operations)
            {
                await WaitUntilAsync(() => IsReadyAsync(ops), $"the silo at {ops} to be ready");
            }

            await WaitUntilAsync(async () => (await Balancer.GatewayStatesAsync()).Values.All(s => s == "UP"), "both gateways up in the balancer");
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public override async Task DisposeAsync()
    {
        Balancer?.Dispose();
        foreach (var gateway in Gateways.Values.Where(g => g != Gateway))
        {
            gateway.Dispose();
        }

        foreach (var silo in _moreSilos)
        {
            silo.Dispose();
        }

        await base.DisposeAsync();
    }

    /// <summary>An API client of the one URL.</summary>
    public HttpClient BalancedClient(string token)
    {
        var client = new HttpClient { BaseAddress = Balancer.Address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public string FleetDiagnostics() =>
        string.Join('\n', CoreSilos.Skip(1).Select(s => $"--- {s.Name}\n{Tail(s.Output)}"))
        + $"\n{Diagnostics()}\n--- gateway2\n{Tail(Gateways["gateway2"].Output)}\n--- haproxy\n{Tail(Balancer.Output)}";

    /// <summary>Polls until <paramref name="condition"/> holds, up to two minutes; fails naming what it waited for.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
            {
                // Not answering yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"waited in vain for {what}:\n{FleetDiagnostics()}");
            }

            await Task.Delay(250);
        }
    }

    private static async Task<bool> IsReadyAsync(Uri operations)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return (await client.GetAsync(new Uri(operations, "/healthz/ready"))).IsSuccessStatusCode;
    }

    private static string Tail(string text) => text.Length > 3000 ? text[^3000..] : text;
}
