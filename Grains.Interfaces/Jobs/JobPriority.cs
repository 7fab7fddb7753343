namespace Corral.Jobs;

/// <summary>
/// How soon a job is admitted among its user's waiting jobs for a service: higher first, FIFO among equals.
/// Serialized snake_case ("low", "normal", "high"). Normal is zero, so jobs stored before priorities are normal.
/// </summary>
public enum JobPriority
{
    Low = -1,
    Normal = 0,
    High = 1,
}
