using Corral.Hosting.Faults;
using Npgsql;
using Orleans.Serialization;

namespace Corral.Gateway.Api;

/// <summary>What part of the system could not answer a request, when it is an outage rather than a fault of the request.</summary>
public enum UnavailablePart
{
    /// <summary>Not an outage: the request fails as it would anyway.</summary>
    None,

    /// <summary>PostgreSQL could not be reached or is restarting (directly, or through a grain).</summary>
    Database,

    /// <summary>The silos could not answer: restarting, a membership change, or a call that timed out.</summary>
    Cluster,
}

/// <summary>
/// Tells an outage (worth a retry) from a failure of the request itself. A request during a database restart or a
/// silo failover must get 503 with Retry-After, never 500: the client retries with its Idempotency-Key and nothing
/// is lost or doubled.
/// </summary>
public static class Unavailability
{
    private const string NpgsqlTypePrefix = "type Npgsql.";

    public static UnavailablePart Classify(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            var part = current switch
            {
                DatabaseUnavailableException database => database.IsTransient ? UnavailablePart.Database : UnavailablePart.None,
                NpgsqlException npgsql => npgsql.IsTransient ? UnavailablePart.Database : UnavailablePart.None,
                // A database failure while a grain activated (reading its state) escapes the call filter that wraps
                // it (DatabaseExceptionFilter), and Npgsql's exceptions cannot cross the wire: the caller gets this.
                CodecNotFoundException codec when codec.Message.Contains(NpgsqlTypePrefix, StringComparison.Ordinal) => UnavailablePart.Database,
                // SiloUnavailableException, OrleansMessageRejectionException, ConnectionFailedException and the
                // client's "not connected" are all OrleansException.
                OrleansException or TimeoutException => UnavailablePart.Cluster,
                _ => (UnavailablePart?)null,
            };
            if (part is { } known)
            {
                return known;
            }
        }

        return UnavailablePart.None;
    }
}
