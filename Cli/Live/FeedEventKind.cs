namespace Corral.Cli.Live;

public enum FeedEventKind
{
    /// <summary>jobUpdated for the followed job.</summary>
    JobUpdated,

    /// <summary>logAppended for the followed job.</summary>
    LogAppended,

    /// <summary>The connection came back: what happened meanwhile must be read again.</summary>
    Reconnected,

    /// <summary>Time to read the job over REST, in case an event went missing.</summary>
    Poll,
}
