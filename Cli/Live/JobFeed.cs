using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.SignalR.Client;

namespace Corral.Cli.Live;

/// <summary>
/// The SignalR hub (/hubs/jobs) for one job: its jobUpdated and logAppended events, reconnects and a poll tick,
/// as one ordered stream of <see cref="FeedEvent"/>s; and the hub's log pages.
/// </summary>
public sealed class JobFeed : ILogPages, IAsyncDisposable
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromSeconds(5);

    private readonly HubConnection _connection;
    private readonly Channel<FeedEvent> _events = Channel.CreateUnbounded<FeedEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly string _jobId;

    public JobFeed(CorralApi api, string jobId)
    {
        _jobId = jobId;
        var token = api.Config.Token;
        _connection = new HubConnectionBuilder()
            .WithUrl(new Uri(api.BaseAddress, "hubs/jobs"), options => options.AccessTokenProvider = () => Task.FromResult<string?>(token))
            // Keep trying for about ten minutes: a gateway restart or a rolling deploy is not the end of a follow.
            .WithAutomaticReconnect([TimeSpan.Zero, .. Enumerable.Repeat(TimeSpan.FromSeconds(2), 300)])
            .Build();
        _connection.On<JsonElement>("jobUpdated", job =>
        {
            if (JobOutcome.Text(job, "id") == _jobId)
            {
                _events.Writer.TryWrite(new FeedEvent(FeedEventKind.JobUpdated, Job: job));
            }
        });
        _connection.On<JsonElement>("logAppended", chunk =>
        {
            if (JobOutcome.Text(chunk, "jobId") == _jobId && chunk.TryGetProperty("seq", out var seq))
            {
                _events.Writer.TryWrite(new FeedEvent(FeedEventKind.LogAppended, Seq: seq.GetInt64(), Text: JobOutcome.Text(chunk, "text") ?? ""));
            }
        });
        _connection.Reconnected += _ =>
        {
            _events.Writer.TryWrite(new FeedEvent(FeedEventKind.Reconnected));
            return Task.CompletedTask;
        };
        _connection.Closed += error =>
        {
            _events.Writer.TryComplete(new IOException("lost the live connection to the gateway" + (error is null ? "" : ": " + error.Message)));
            return Task.CompletedTask;
        };
    }

    public bool IsConnected => _connection.State == HubConnectionState.Connected;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _connection.StartAsync(cancellationToken);
        _ = PollAsync(_stop.Token);
    }

    public ValueTask<FeedEvent> NextAsync(CancellationToken cancellationToken) => _events.Reader.ReadAsync(cancellationToken);

    public Task<LogPage> WatchAsync(string jobId, CancellationToken cancellationToken) =>
        _connection.InvokeAsync<LogPage>("watchLogs", jobId, cancellationToken);

    public Task<LogPage> ReadBeforeAsync(string jobId, long seq, int offset, CancellationToken cancellationToken) =>
        _connection.InvokeAsync<LogPage>("readLogsBefore", jobId, seq, offset, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _connection.DisposeAsync();
        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                _events.Writer.TryWrite(new FeedEvent(FeedEventKind.Poll));
            }
        }
        catch (OperationCanceledException)
        {
            // Disposed.
        }
    }
}
