using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;

namespace Corral.Tests.Fleet;

/// <summary>
/// A SignalR client of /hubs/jobs through a load balancer, as a browser uses it: it keeps the balancer's cookies
/// (so it sticks to one gateway) and reconnects by itself when its connection drops. Records every job event.
/// </summary>
public sealed class ReconnectingLiveClient : IAsyncDisposable
{
    private readonly CookieContainer _cookies;
    private readonly Uri _address;
    private int _drops;
    private int _reconnects;

    private ReconnectingLiveClient(HubConnection connection, CookieContainer cookies, Uri address)
    {
        Connection = connection;
        _cookies = cookies;
        _address = address;
    }

    public HubConnection Connection { get; }

    /// <summary>
    /// Every job view received, with the number of times the connection had dropped when it arrived (counted when
    /// it drops: what the hub sends on a reconnect may be handled before the client's Reconnected event).
    /// </summary>
    public ConcurrentQueue<(int Drops, JsonObject Job)> Jobs { get; } = new();

    public int Reconnects => Volatile.Read(ref _reconnects);

    /// <summary>The gateway the balancer's cookie sticks this client to (its server name).</summary>
    public string? Gateway => _cookies.GetCookies(_address)["CORRAL_GATEWAY"]?.Value;

    public static async Task<ReconnectingLiveClient> ConnectAsync(Uri balancer, string token)
    {
        var cookies = new CookieContainer();
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(balancer, "/hubs/jobs"), o =>
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                o.Cookies = cookies;
            })
            .WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)])
            .Build();
        var client = new ReconnectingLiveClient(connection, cookies, balancer);
        connection.On<JsonObject>("jobUpdated", job => client.Jobs.Enqueue((Volatile.Read(ref client._drops), job)));
        connection.Reconnecting += _ =>
        {
            Interlocked.Increment(ref client._drops);
            return Task.CompletedTask;
        };
        connection.Reconnected += _ =>
        {
            Interlocked.Increment(ref client._reconnects);
            return Task.CompletedTask;
        };
        await connection.StartAsync();
        return client;
    }

    /// <summary>The statuses this client saw for one job since its connection dropped <paramref name="drops"/> times.</summary>
    public List<string> StatusesOf(string jobId, int drops = 0) =>
        [.. Jobs.Where(e => e.Drops >= drops && e.Job["id"]!.GetValue<string>() == jobId).Select(e => e.Job["status"]!.GetValue<string>())];

    public string Seen() => string.Join(" | ", Jobs.Select(e => $"{e.Drops}:{e.Job["id"]}:{e.Job["status"]}"));

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
