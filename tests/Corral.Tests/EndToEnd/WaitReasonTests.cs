using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>A waiting job's view says what holds it and where it stands (issue 18).</summary>
[Collection(SystemCollection.Name)]
public sealed class WaitReasonTests(CorralSystem system)
{
    [Fact]
    public async Task TheSixthJobOfAUser_WaitsFirstInLine_HeldByTheUsersQuota()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            ids.Add(await Jobs.SubmitAsync(alice, Jobs.Shell("sleep 60", service: "waitreason")));
        }

        try
        {
            var waiting = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs/{ids[5]}"))!;
            Assert.Equal("queued", Jobs.Status(waiting));
            Assert.Equal(1, waiting["queuePosition"]!.GetValue<int>());
            Assert.Equal("waiting: user quota 5/5", waiting["message"]!.GetValue<string>());
            Assert.Equal("normal", waiting["priority"]!.GetValue<string>());
        }
        finally
        {
            foreach (var id in ids)
            {
                await alice.PostAsync($"/api/jobs/{id}/cancel", null);
            }
        }
    }
}
