namespace Corral.Benchmarks.Live;

/// <summary>
/// The part of a jobUpdated view the .NET client fleets read: any other member of the view is skipped by the
/// deserializer, as a client that shows only a list of jobs would. Names as the .NET view has them, so one type
/// reads both wire formats (JSON case-insensitively, MessagePack by member name).
/// </summary>
public sealed class JobEvent
{
    public const string Cancelled = "cancelled";

    public string Id { get; set; } = "";

    public List<Step> History { get; set; } = [];

    /// <summary>The history as the fleet records it.</summary>
    public WireStep[] Steps() => [.. History.Select(s => new WireStep(s.Status, s.At))];

    public sealed class Step
    {
        public string Status { get; set; } = "";

        public DateTimeOffset At { get; set; }
    }
}

/// <summary>One step of a job's history as a client received it: its status and when the job's grain recorded it.</summary>
public readonly record struct WireStep(string Status, DateTimeOffset At);
