using System.Buffers.Binary;
using System.Text;
using Corral.Jobs;
using Npgsql;

namespace Corral.Gateway.Jobs;

/// <summary>
/// Lists jobs from the job index (<c>corral_jobs</c>, written by each job grain with its state), newest first,
/// a page at a time: no job grain is activated, however many jobs there are.
/// </summary>
/// <remarks>
/// Pages are cut by keyset, not offset: the cursor is the (submitted time, id) of the last job of the page, and the
/// next page starts strictly after it, so a page costs the same at any depth and a job submitted meanwhile never
/// shifts a page. Each filter has an index that serves it in that order (deploy/sql/012_job_index.sql).
/// </remarks>
public sealed class JobListReader(NpgsqlDataSource database)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    /// <summary>
    /// Up to <paramref name="limit"/> jobs of <paramref name="user"/> (null: everyone's, for admins), of a
    /// <paramref name="status"/> and a <paramref name="service"/> when given, after <paramref name="cursor"/> (the
    /// decoded cursor of the previous page, <see cref="TryDecodeCursor"/>; null for the first page).
    /// </summary>
    public async Task<JobListPage> ListAsync(
        string? user, JobStatus? status, string? service, int limit, (DateTimeOffset SubmittedAt, string Id)? cursor,
        CancellationToken cancellationToken)
    {
        var sql = new StringBuilder(
            "SELECT job_id, user_name, service, kind, status, reason, message, exit_code, worker, " +
            "submitted_at, started_at, finished_at FROM corral_jobs WHERE true");
        await using var command = database.CreateCommand();
        void Where(string condition, object value)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            sql.Append(" AND ").Append(condition.Replace("@", "$" + command.Parameters.Count));
        }

        if (user is not null)
        {
            Where("user_name = @", user);
        }

        if (status is { } wanted)
        {
            Where("status = @", wanted.ToString());
            if (!JobStateMachine.IsTerminal(wanted))
            {
                // Always true of such a job; it lets PostgreSQL read the small index of unfinished jobs.
                sql.Append(" AND unfinished");
            }
        }

        if (!string.IsNullOrEmpty(service))
        {
            Where("lower(service) = @", service.ToLowerInvariant());
        }

        if (cursor is { } after)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = after.SubmittedAt.ToUniversalTime() });
            command.Parameters.Add(new NpgsqlParameter { Value = after.Id });
            sql.Append($" AND (submitted_at, job_id) < (${command.Parameters.Count - 1}, ${command.Parameters.Count})");
        }

        // One more than asked: whether it exists says whether there is a next page.
        command.Parameters.Add(new NpgsqlParameter { Value = limit + 1 });
        sql.Append($" ORDER BY submitted_at DESC, job_id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();

        var items = new List<JobListItem>(Math.Min(limit + 1, MaxLimit + 1));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new JobListItem(
                reader.GetString(0), reader.GetString(1), reader.GetString(2),
                Enum.Parse<JobKind>(reader.GetString(3)), Enum.Parse<JobStatus>(reader.GetString(4)),
                reader.IsDBNull(5) ? null : Enum.Parse<TerminationReason>(reader.GetString(5)),
                reader.IsDBNull(6) ? null : reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetInt32(7),
                reader.IsDBNull(8) ? null : reader.GetString(8),
                reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11)));
        }

        if (items.Count <= limit)
        {
            return new JobListPage(items, null);
        }

        items.RemoveAt(limit);
        var last = items[^1];
        return new JobListPage(items, EncodeCursor(last.SubmittedAt, last.Id));
    }

    /// <summary>The cursor after a job: opaque to clients (base64url of the submitted time in microseconds and the id).</summary>
    public static string EncodeCursor(DateTimeOffset submittedAt, string id)
    {
        var micros = (submittedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        var bytes = new byte[8 + Encoding.UTF8.GetByteCount(id)];
        BinaryPrimitives.WriteInt64BigEndian(bytes, micros);
        Encoding.UTF8.GetBytes(id, bytes.AsSpan(8));
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryDecodeCursor(string cursor, out (DateTimeOffset SubmittedAt, string Id) decoded)
    {
        decoded = default;
        if (cursor.Length is 0 or > 200)
        {
            return false;
        }

        var base64 = cursor.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + ((4 - (base64.Length % 4)) % 4), '=');
        var bytes = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, bytes, out var length) || length <= 8)
        {
            return false;
        }

        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes);
        var id = Encoding.UTF8.GetString(bytes, 8, length - 8);
        if (micros is < 0 or > 253_402_300_799_000_000 || !JobAccess.IsWellFormedId(id))
        {
            return false;
        }

        decoded = (DateTimeOffset.UnixEpoch.AddTicks(micros * 10), id);
        return true;
    }
}
