using System.Text;
using System.Text.Json;
using Corral.Jobs;

namespace Corral.Benchmarks.Live;

/// <summary>What one record of the hub's JSON protocol is, as far as the lean client cares.</summary>
public enum HubRecordKind
{
    Other,
    JobUpdated,
}

/// <summary>
/// Reads records of the hub's JSON protocol straight from the received bytes with <see cref="Utf8JsonReader"/>,
/// keeping only jobUpdated's id and history in buffers it reuses: it allocates nothing per message.
/// </summary>
/// <remarks>
/// Why not the serializer: on the servers' two cores, the fleet's garbage (about 2.7 KB per delivery, mostly the
/// serializer's read stack for the nested view) made a gen0 collection every job, each pausing every client 10-45 ms
/// while frames waited in their sockets: a pause of the load generator, measured as the servers' latency.
/// One reader per client: its buffers are the client's.
/// </remarks>
public sealed class JobUpdateReader
{
    private static readonly (byte[] Utf8, string Text)[] KnownStatuses =
        [.. Enum.GetValues<JobStatus>().Select(s => s.ToString().ToLowerInvariant()).Select(s => (Encoding.UTF8.GetBytes(s), s))];

    private readonly char[] _id = new char[128];
    private WireStep[] _steps = new WireStep[16];
    private int _idLength;
    private int _stepCount;

    /// <summary>The job id of the last jobUpdated read.</summary>
    public ReadOnlySpan<char> JobId => _id.AsSpan(0, _idLength);

    /// <summary>The history of the last jobUpdated read, oldest step first.</summary>
    public ReadOnlySpan<WireStep> History => _steps.AsSpan(0, _stepCount);

    public HubRecordKind Read(ReadOnlySpan<byte> record)
    {
        var reader = new Utf8JsonReader(record);
        var type = 0;
        var isJobUpdated = false;
        var hasJob = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return HubRecordKind.Other;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                isJobUpdated = reader.ValueTextEquals("jobUpdated"u8);
            }
            else if (reader.ValueTextEquals("arguments"u8))
            {
                reader.Read();
                hasJob = ReadFirstArgument(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        // Type 1 is an invocation; pings (6) and anything else are of no interest here.
        return type == 1 && isJobUpdated && hasJob ? HubRecordKind.JobUpdated : HubRecordKind.Other;
    }

    /// <summary>Reads the job view that is the arguments array's first element; skips the rest of the array.</summary>
    private bool ReadFirstArgument(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return false;
        }

        var read = false;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (!read && reader.TokenType == JsonTokenType.StartObject)
            {
                read = ReadJob(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return read;
    }

    private bool ReadJob(ref Utf8JsonReader reader)
    {
        _idLength = 0;
        _stepCount = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                _idLength = reader.CopyString(_id);
            }
            else if (reader.ValueTextEquals("history"u8))
            {
                reader.Read();
                ReadHistory(ref reader);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return _idLength > 0;
    }

    private void ReadHistory(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string? status = null;
            DateTimeOffset at = default;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("status"u8))
                {
                    reader.Read();
                    status = Status(ref reader);
                }
                else if (reader.ValueTextEquals("at"u8))
                {
                    reader.Read();
                    at = reader.GetDateTimeOffset();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            if (_stepCount == _steps.Length)
            {
                Array.Resize(ref _steps, _steps.Length * 2);
            }

            _steps[_stepCount++] = new WireStep(status ?? "", at);
        }
    }

    /// <summary>The status as one shared string: a known one costs nothing, an unknown one is read as it is.</summary>
    private static string Status(ref Utf8JsonReader reader)
    {
        foreach (var (utf8, text) in KnownStatuses)
        {
            if (reader.ValueTextEquals(utf8))
            {
                return text;
            }
        }

        return reader.GetString() ?? "";
    }
}
