using Npgsql;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// The running system with the log quota off (LOG_QUOTA_PER_JOB_HOUR=0), for jobs that write hundreds of MiB, and
/// the host agent's memory readable from /proc.
/// </summary>
public sealed class LogSystem() : CorralSystem(new Dictionary<string, string> { ["LOG_QUOTA_PER_JOB_HOUR"] = "0" })
{
    public async Task<long> StoredBytesAsync(string jobId)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT coalesce(sum(octet_length(content)), 0)::bigint FROM corral_job_logs WHERE job_id = $1", connection);
        command.Parameters.AddWithValue(jobId);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Forgets the host agent's peak resident memory (Linux: 5 to clear_refs) and returns what it holds now.</summary>
    public long ResetAgentPeakMemory()
    {
        File.WriteAllText($"/proc/{HostAgent.Id}/clear_refs", "5");
        return AgentMemoryKiB("VmRSS");
    }

    /// <summary>The host agent's peak resident memory since the last reset, in KiB.</summary>
    public long AgentPeakMemoryKiB() => AgentMemoryKiB("VmHWM");

    private long AgentMemoryKiB(string field)
    {
        var line = File.ReadLines($"/proc/{HostAgent.Id}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>
/// Run alone, after the parallel collections: these tests flood the engine and the disk on purpose (a 256 MiB
/// line, two million writes, output piling up behind a locked table), and beside them other tests' containers
/// were starved (an SSH session's server did not greet within 10 s).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LogSystemCollection : ICollectionFixture<LogSystem>
{
    public const string Name = "running system without a log quota";
}
