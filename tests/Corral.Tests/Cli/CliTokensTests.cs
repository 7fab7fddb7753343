using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>`corral tokens`: a user issues, lists and revokes their own tokens; an admin rotates another user's.</summary>
[Collection(SystemCollection.Name)]
public sealed class CliTokensTests(CorralSystem system) : IDisposable
{
    private readonly CorralCli _cli = new();

    [Fact]
    public async Task AUser_IssuesListsAndRevokesTokens_AndAnAdminRotatesThem()
    {
        var first = await system.CreateUserAsync("clitok");
        var user = new Dictionary<string, string> { ["CORRAL_URL"] = system.BaseAddress.ToString(), ["CORRAL_TOKEN"] = first };

        var created = await _cli.RunAsync(["tokens", "create", "laptop", "--expires-in", "3600"], user);
        Assert.True(created.ExitCode == 0, created.Error);
        var laptop = created.Output.Trim();
        Assert.StartsWith("corral_", laptop);
        var withLaptop = new Dictionary<string, string>(user) { ["CORRAL_TOKEN"] = laptop };
        Assert.Equal(0, (await _cli.RunAsync(["whoami"], withLaptop)).ExitCode);

        var listed = JsonNode.Parse((await _cli.RunAsync(["tokens", "-o", "json"], user)).Output)!["items"]!.AsArray();
        Assert.Equal(["initial", "laptop"], listed.Select(t => t!["name"]!.GetValue<string>()).Order());
        var table = await _cli.RunAsync(["tokens", "list"], user);
        Assert.Contains("laptop", table.Output);
        Assert.DoesNotContain(laptop, table.Output);

        var laptopId = listed.Single(t => t!["name"]!.GetValue<string>() == "laptop")!["id"]!.ToString();
        Assert.Equal(0, (await _cli.RunAsync(["tokens", "revoke", laptopId], user)).ExitCode);
        var refused = await _cli.RunAsync(["whoami"], withLaptop);
        Assert.Equal(1, refused.ExitCode);

        var admin = new Dictionary<string, string> { ["CORRAL_URL"] = system.BaseAddress.ToString(), ["CORRAL_TOKEN"] = system.AdminToken };
        var name = JsonNode.Parse((await _cli.RunAsync(["whoami", "-o", "json"], user)).Output)!["name"]!.GetValue<string>();
        var rotated = await _cli.RunAsync(["tokens", "create", "rotated", "--user", name, "--revoke-others"], admin);
        Assert.True(rotated.ExitCode == 0, rotated.Error);
        Assert.Contains("revoked 1 other", rotated.Error);
        Assert.Equal(0, (await _cli.RunAsync(["whoami"], new Dictionary<string, string>(user) { ["CORRAL_TOKEN"] = rotated.Output.Trim() })).ExitCode);

        // The first token was revoked by the rotation; every gateway drops it within CORRAL_TOKEN_CACHE_SECONDS.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while ((await _cli.RunAsync(["whoami"], user)).ExitCode == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }

        Assert.Equal(1, (await _cli.RunAsync(["whoami"], user)).ExitCode);
        Assert.Equal(2, (await _cli.RunAsync(["tokens", "create", "x", "--revoke-others"], admin)).ExitCode);
    }

    public void Dispose() => _cli.Dispose();
}
