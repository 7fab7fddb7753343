using System.Globalization;
using Corral.Hosting.Faults;
using Orleans.Storage;

namespace Corral.Storage;

/// <summary>
/// Grain state in PostgreSQL (table <c>corral_grain_state</c>), every read and write going through a
/// <see cref="GroupCommitQueue"/>: the store for the grains written on each step of each job.
/// </summary>
/// <remarks>
/// Orleans' ADO.NET provider commits each write on its own, and a job takes about a dozen writes, so PostgreSQL's
/// log flushes, not the grains, set the pace (130-320 jobs/s on this 2-core machine). Here concurrent writes of
/// different grains share a commit. Optimistic concurrency is the usual one: the etag is a version number, a
/// write names the version it replaces, and a write that finds another version fails with
/// <see cref="InconsistentStateException"/> (the statement matches no row, so it never fails its batch).
/// The store knows nothing of what it stores: bytes under a grain id and a state name. What must be queried
/// (the job index) is written beside it by its owner, in the same commit (<see cref="GroupCommitQueue.RunTogetherAsync(Func{Task}, string, object?[])"/>).
/// </remarks>
public sealed class PostgresGrainStore(GroupCommitQueue statements, IGrainStorageSerializer serializer) : IGrainStorage
{
    private const string Read =
        "SELECT etag, payload FROM corral_grain_state WHERE grain_id = $1 AND state_name = $2";

    private const string Insert =
        "INSERT INTO corral_grain_state (grain_id, state_name, etag, payload) VALUES ($1, $2, 1, $3) " +
        "ON CONFLICT DO NOTHING RETURNING etag, NULL::bytea";

    private const string Update =
        "UPDATE corral_grain_state SET etag = etag + 1, payload = $3, written_at = now() " +
        "WHERE grain_id = $1 AND state_name = $2 AND etag = $4 RETURNING etag, NULL::bytea";

    private const string Delete =
        "DELETE FROM corral_grain_state WHERE grain_id = $1 AND state_name = $2 AND etag = $3 RETURNING etag, NULL::bytea";

    /// <remarks>
    /// A read runs while the grain activates, outside any grain call, so the call filter never sees its failure: a
    /// database failure is turned here into what crosses the wire (<see cref="DatabaseFailure.AsUnavailable"/>), else
    /// the caller would get a codec error naming Npgsql's exception instead of the outage.
    /// </remarks>
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        StoredRow? row;
        try
        {
            row = await statements.RunAsync(Read, grainId.ToString(), stateName);
        }
        catch (Exception error) when (DatabaseFailure.AsUnavailable(error) is { } outage)
        {
            throw outage;
        }

        if (row?.Payload is null)
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        grainState.State = serializer.Deserialize<T>(new BinaryData(row.Payload));
        grainState.ETag = ETagText(row.ETag);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var payload = serializer.Serialize(grainState.State).ToMemory();
        var row = grainState.ETag is null
            ? await statements.RunAsync(Insert, grainId.ToString(), stateName, payload)
            : await statements.RunAsync(Update, grainId.ToString(), stateName, payload, ETagNumber(grainState.ETag));
        if (row is null)
        {
            throw Conflict("write", stateName, grainId, grainState.ETag);
        }

        grainState.ETag = ETagText(row.ETag);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is not null
            && await statements.RunAsync(Delete, grainId.ToString(), stateName, ETagNumber(grainState.ETag)) is null)
        {
            throw Conflict("clear", stateName, grainId, grainState.ETag);
        }

        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private static InconsistentStateException Conflict(string operation, string stateName, GrainId grainId, string? etag) =>
        new($"Could not {operation} state '{stateName}' of {grainId}: it was changed elsewhere since version {etag ?? "(none)"}.",
            "unknown", etag ?? "(none)");

    private static string ETagText(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    private static long ETagNumber(string etag) => long.Parse(etag, CultureInfo.InvariantCulture);
}
