namespace Corral.Gateway.Live;

/// <summary>
/// Renews this gateway's feed subscriptions on a timer until it is disposed. A round that fails (a grain call that
/// times out or is cancelled while a silo dies) is logged and the next tick tries again: the renewals must never end
/// while the gateway runs, or every subscription expires in the grains a minute later and its clients hear nothing.
/// </summary>
public sealed partial class FeedRenewal : IDisposable
{
    /// <summary>How often subscriptions are renewed: three tries within their expiry (<c>FeedSubscriptions.Expiry</c>).</summary>
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(20);

    private readonly Func<Task> _renew;
    private readonly ILogger _logger;
    private readonly PeriodicTimer _timer;

    public FeedRenewal(Func<Task> renew, TimeSpan every, TimeProvider clock, ILogger logger)
    {
        _renew = renew;
        _logger = logger;
        _timer = new PeriodicTimer(every, clock);
        Finished = RunAsync();
    }

    /// <summary>Completes once the renewals have stopped (only after <see cref="Dispose"/>).</summary>
    public Task Finished { get; }

    public void Dispose() => _timer.Dispose();

    private async Task RunAsync()
    {
        // False once the timer is disposed: the only way out of the loop.
        while (await _timer.WaitForNextTickAsync())
        {
            try
            {
                await _renew();
            }
            catch (Exception error)
            {
                // Cancellations included: a grain call cancelled during a silo kill is not this gateway stopping.
                LogRoundFailed(error.GetType().Name, error.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A round of live feed renewals failed ({Type}: {Error}); the next one tries again")]
    private partial void LogRoundFailed(string type, string error);
}
