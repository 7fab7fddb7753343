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

    /// <remarks>
    /// A database failure anywhere in the chain of causes decides first: Orleans wraps a failed state read in an
    /// <see cref="OrleansException"/>, which alone would read as the cluster.
    /// </remarks>
    public static UnavailablePart Classify(Exception error)
    {
        foreach (var current in Chain(error))
        {
            var part = current switch
            {
                DatabaseUnavailableException database => database.IsTransient ? UnavailablePart.Database : UnavailablePart.None,
                NpgsqlException npgsql => npgsql.IsTransient ? UnavailablePart.Database : UnavailablePart.None,
                // A database failure while a grain activated escapes the call filter (activation is not a call) and
                // Npgsql's exceptions cannot cross the wire. The group-commit store and the waiting-job store turn
                // their reads' failures into DatabaseUnavailableException; Orleans' ADO.NET store
                // (CORRAL_GRAIN_STORAGE=adonet, and the dispatcher's state) does not, so its callers still get this.
                CodecNotFoundException codec when codec.Message.Contains(NpgsqlTypePrefix, StringComparison.Ordinal) => UnavailablePart.Database,
                _ => (UnavailablePart?)null,
            };
            if (part is { } known)
            {
                return known;
            }
        }

        // SiloUnavailableException, OrleansMessageRejectionException, ConnectionFailedException and the client's
        // "not connected" are all OrleansException.
        return Chain(error).Any(e => e is OrleansException or TimeoutException) ? UnavailablePart.Cluster : UnavailablePart.None;
    }

    private static IEnumerable<Exception> Chain(Exception error)
    {
        for (var current = error; current is not null; current = current.InnerException)
        {
            yield return current;
        }
    }
}
