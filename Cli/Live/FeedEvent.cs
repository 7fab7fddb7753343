using System.Text.Json;

namespace Corral.Cli.Live;

/// <summary>What the hub (or the poll timer) tells a follower, in arrival order.</summary>
public sealed record FeedEvent(FeedEventKind Kind, JsonElement Job = default, long Seq = 0, string Text = "");
