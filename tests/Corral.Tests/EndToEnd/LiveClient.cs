using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.SignalR.Client;

namespace Corral.Tests.EndToEnd;

/// <summary>A SignalR client of /hubs/jobs over a real WebSocket, recording every event it receives.</summary>
public sealed class LiveClient : IAsyncDisposable
{
    private LiveClient(HubConnection connection) => Connection = connection;

    public HubConnection Connection { get; }

    public ConcurrentQueue<JsonObject> Jobs { get; } = new();

    public ConcurrentQueue<JsonObject> Quotas { get; } = new();

    public ConcurrentQueue<JsonObject> Logs { get; } = new();

    public static async Task<LiveClient> ConnectAsync(Uri gateway, string token)
    {
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(gateway, "/hubs/jobs"), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
            .Build();
        var client = new LiveClient(connection);
        connection.On<JsonObject>("jobUpdated", client.Jobs.Enqueue);
        connection.On<JsonObject>("quotaUpdated", client.Quotas.Enqueue);
        connection.On<JsonObject>("logAppended", client.Logs.Enqueue);
        await connection.StartAsync();
        return client;
    }

    /// <summary>The statuses this client saw for one job, in the order they arrived.</summary>
    public List<string> StatusesOf(string jobId) =>
        [.. Jobs.Where(j => j["id"]!.GetValue<string>() == jobId).Select(j => j["status"]!.GetValue<string>())];

    public async Task WaitForAsync(Func<LiveClient, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition(this))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("live event did not arrive; jobs seen: " + string.Join(" | ", Jobs.Select(j => $"{j["id"]}:{j["status"]}")));
            }

            await Task.Delay(50);
        }
    }

    public ValueTask DisposeAsync() => Connection.DisposeAsync();
}
