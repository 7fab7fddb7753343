namespace Corral.Hosting.Faults;

/// <summary>
/// A PostgreSQL failure raised in a grain, in a form that crosses a grain call: Npgsql's own exceptions are not in
/// a namespace Orleans serializes, so the caller would get a fallback exception that names no cause. The message and
/// whether the failure is transient (connection lost, server shutting down or not accepting connections) travel.
/// </summary>
[GenerateSerializer]
public sealed class DatabaseUnavailableException : Exception
{
    public DatabaseUnavailableException(string message, bool isTransient)
        : base(message)
    {
        IsTransient = isTransient;
    }

    /// <summary>True when retrying later can succeed (Npgsql's own judgement of the failure).</summary>
    [Id(0)]
    public bool IsTransient { get; }
}
