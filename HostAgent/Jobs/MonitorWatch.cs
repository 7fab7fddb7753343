namespace Corral.HostAgent.Jobs;

/// <summary>
/// What a job monitor hands back for one job: disposing it stops the monitor's background watch and waits for it to
/// end, so no kill is issued after the supervisor has moved on.
/// </summary>
public sealed class MonitorWatch(CancellationTokenSource stop, Task watching) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await watching;
        stop.Dispose();
    }
}
