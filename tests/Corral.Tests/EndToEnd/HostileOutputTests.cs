using System.Text;
using Npgsql;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>
/// Output meant to break a log pipeline, through the running system: real containers writing through corral-run
/// into their output files, the host agent following them, rows in PostgreSQL, read back through the API.
/// </summary>
[Collection(LogSystemCollection.Name)]
public sealed class HostileOutputTests(LogSystem system)
{
    private const long MiB = 1024 * 1024;

    // The agent reads through fixed buffers (about 6 MiB in all); growing by the output's size would show as hundreds of MiB.
    private const long MemoryGrowthAllowedKiB = 96 * 1024;

    [Fact]
    public async Task AOneGiBLineWithoutANewline_IsStoredWhole_InBoundedMemory()
    {
        const long Bytes = 1024 * MiB;
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var before = system.ResetAgentPeakMemory();
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell($"head -c {Bytes} /dev/zero | tr '\\0' x", service: "hostile", cpu: 1));

        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromMinutes(5));

        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal(Bytes, await system.StoredBytesAsync(id));
        Assert.Equal(Bytes, done["logBytesTotal"]!.GetValue<long>());
        Assert.True(await OnlyAsync(id, (byte)'x'), "the stored line holds other bytes than the ones written");
        AssertMemoryBounded(before);
    }

    [Fact]
    public async Task ProgressBars_NulAndBinaryBytes_AndInvalidUtf8_AreStoredByteForByte()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell(
            @"printf 'a\rb\rc\r[#   ]\r[##  ]\r[### ]\r[####] done\n'; printf '\033[31mred\033[0m \000\001\002\177 binary\n';"
            + @" printf 'bad \377\376 \303\050 end\n'; printf 'no newline at the end'", service: "hostile"));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", Jobs.Status(done));
        byte[] expected =
        [
            .. "a\rb\rc\r[#   ]\r[##  ]\r[### ]\r[####] done\n"u8,
            .. "red "u8, 0, 1, 2, 0x7F, .. " binary\n"u8,
            // Not UTF-8, kept as written (dockerd's json-file log would have made each byte U+FFFD).
            .. "bad "u8, 0xFF, 0xFE, .. " "u8, 0xC3, .. "( end\n"u8,
            .. "no newline at the end"u8,
        ];
        var stored = await alice.GetByteArrayAsync($"/api/jobs/{id}/logs");
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(stored));
        Assert.Equal(expected.Length, done["logBytesTotal"]!.GetValue<long>());
    }

    [Fact]
    public async Task TwoMillionTinyWrites_AreAllStored_InOrder()
    {
        const int Lines = 2_000_000;
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        // One write(2) per line: awk flushes after each.
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell(
            $"awk 'BEGIN {{ for (i = 0; i < {Lines}; i++) {{ print i; fflush() }} }}'", service: "hostile", cpu: 1));

        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromMinutes(4));

        Assert.Equal("succeeded", Jobs.Status(done));
        var expected = new StringBuilder();
        for (var i = 0; i < Lines; i++)
        {
            expected.Append(i).Append('\n');
        }

        var stored = await alice.GetStringAsync($"/api/jobs/{id}/logs");
        Assert.True(expected.ToString() == stored, $"stored {stored.Length} characters, expected {expected.Length}");
    }

    [Fact]
    public async Task OutputFasterThanPostgreSqlTakesIt_WaitsOnDisk_NotInTheAgent_AndIsStoredWhole()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        const long Bytes = 192 * MiB;
        var line = new string('p', 99) + "\n";

        // The log table is locked against inserts: the agent's first row waits, and with it everything after.
        await using var connection = new NpgsqlConnection(system.ConnectionString);
        await connection.OpenAsync();
        var locked = await connection.BeginTransactionAsync();
        await using (var lockTable = new NpgsqlCommand("LOCK TABLE corral_job_logs IN SHARE ROW EXCLUSIVE MODE", connection, locked))
        {
            await lockTable.ExecuteNonQueryAsync();
        }

        var before = system.ResetAgentPeakMemory();
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell($"yes {line.TrimEnd()} | head -c {Bytes}", service: "hostile", cpu: 1));
        await WaitForContainerExitAsync(id);

        // The container wrote everything while nothing could be stored; the job is not over until it is.
        Assert.Equal(0, await system.StoredBytesAsync(id));
        Assert.Equal("running", Jobs.Status(await system.WaitForJobAsync(alice, id, _ => true, TimeSpan.FromSeconds(10))));
        AssertMemoryBounded(before);

        await locked.RollbackAsync();
        var done = await system.WaitForJobAsync(alice, id, j => j["finishedAt"] is not null, TimeSpan.FromMinutes(3));
        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal(Bytes, await system.StoredBytesAsync(id));
        AssertMemoryBounded(before);
    }

    private void AssertMemoryBounded(long beforeKiB)
    {
        var peak = system.AgentPeakMemoryKiB();
        Assert.True(peak - beforeKiB < MemoryGrowthAllowedKiB, $"the agent's resident memory grew from {beforeKiB} KiB to a peak of {peak} KiB");
    }

    private async Task<bool> OnlyAsync(string jobId, byte value)
    {
        await using var connection = new NpgsqlConnection(system.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT bool_and(content = decode(repeat($2, octet_length(content)), 'hex')) FROM corral_job_logs WHERE job_id = $1", connection);
        command.Parameters.AddWithValue(jobId);
        command.Parameters.AddWithValue(Convert.ToHexString([value]));
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitForContainerExitAsync(string jobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (true)
        {
            var state = await TestEnvironment.DockerAsync("ps", "-a", "--filter", $"label=corral.job-id={jobId}", "--format", "{{.State}}");
            if (state == "exited")
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the job's container did not exit (state '{state}')");
            await Task.Delay(250);
        }
    }
}
