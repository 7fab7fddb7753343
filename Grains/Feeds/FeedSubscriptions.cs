namespace Corral.Feeds;

/// <summary>How long a gateway's subscription lives without being renewed (gateways renew well within it).</summary>
public static class FeedSubscriptions
{
    public static readonly TimeSpan Expiry = TimeSpan.FromSeconds(60);
}
