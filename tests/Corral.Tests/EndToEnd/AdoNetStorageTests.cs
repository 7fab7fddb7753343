using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>The fallback grain store in the real processes: a job runs to its end, and lists and logs work as usual.</summary>
[Collection(AdoNetStorageCollection.Name)]
public sealed class AdoNetStorageTests(AdoNetStorageSystem system)
{
    [Fact]
    public async Task AJob_RunsToSuccess_IsListedFromTheJobIndex_AndItsStateIsInOrleansTable()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("echo on the fallback store"));

        var done = await CorralSystem.Terminal(system, alice, id);

        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal("on the fallback store\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
        var listed = (await alice.GetFromJsonAsync<JsonObject>("/api/jobs"))!["items"]!.AsArray().Single()!;
        Assert.Equal((id, "succeeded"), (listed["id"]!.GetValue<string>(), listed["status"]!.GetValue<string>()));

        await using var database = NpgsqlDataSource.Create(system.ConnectionString);
        await using var groupCommitRows = database.CreateCommand("SELECT count(*) FROM corral_grain_state WHERE grain_id = 'job/' || $1");
        groupCommitRows.Parameters.AddWithValue(id);
        Assert.Equal(0L, await groupCommitRows.ExecuteScalarAsync());
        await using var unfinished = database.CreateCommand("SELECT unfinished FROM corral_jobs WHERE job_id = $1");
        unfinished.Parameters.AddWithValue(id);
        Assert.Equal(false, await unfinished.ExecuteScalarAsync());
    }
}
