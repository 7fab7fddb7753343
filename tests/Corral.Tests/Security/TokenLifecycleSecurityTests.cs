using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Gateway.Users;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Named tokens with expiries on the running system: a revoked token stops working on every gateway within a few
/// seconds, an expired one at once, nobody reaches another user's tokens, and no answer carries a token or its hash.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class TokenLifecycleSecurityTests(CorralSystem system)
{
    [Fact]
    public async Task ATokenRevokedOnOneGateway_IsRefusedOnAnotherWithinSeconds_WhileTheUsersOtherTokenWorks()
    {
        using var first = system.Client(await system.CreateUserAsync("revoke"));
        var (doomedId, doomed) = await IssueAsync(first, "laptop");
        var (_, kept) = await IssueAsync(first, "ci");
        var (gateway, address) = await system.StartExtraGatewayAsync();
        using (gateway)
        {
            using var doomedThere = Client(address, doomed);
            using var keptThere = Client(address, kept);
            // Both work on gateway 2 first, so gateway 2 holds them in its cache when the revocation happens.
            Assert.Equal(HttpStatusCode.OK, (await doomedThere.GetAsync("/api/me")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await keptThere.GetAsync("/api/me")).StatusCode);

            Assert.Equal(HttpStatusCode.NoContent, (await first.DeleteAsync($"/api/tokens/{doomedId}")).StatusCode);

            using var doomedHere = system.Client(doomed);
            Assert.Equal(HttpStatusCode.Unauthorized, (await doomedHere.GetAsync("/api/me")).StatusCode);
            var deadline = DateTime.UtcNow.AddSeconds(15);
            HttpStatusCode status;
            while ((status = (await doomedThere.GetAsync("/api/me")).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
            {
                await Task.Delay(250);
            }

            Assert.Equal(HttpStatusCode.Unauthorized, status);
            Assert.Equal(HttpStatusCode.OK, (await keptThere.GetAsync("/api/me")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await first.GetAsync("/api/me")).StatusCode);
        }
    }

    [Fact]
    public async Task AnExpiredToken_IsRefusedLikeAnUnknownOne()
    {
        using var owner = system.Client(await system.CreateUserAsync("expiry"));
        var response = await owner.PostAsJsonAsync("/api/tokens", new { name = "short-lived", expiresInSeconds = 4 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var expiresAt = issued["expiresAt"]!.GetValue<DateTimeOffset>();
        using var shortLived = system.Client(issued["token"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await shortLived.GetAsync("/api/me")).StatusCode);

        while (DateTimeOffset.UtcNow < expiresAt.AddSeconds(1))
        {
            await Task.Delay(250);
        }

        var refused = await shortLived.GetAsync("/api/me");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var unknown = system.Client("corral_thisTokenWasNeverIssued0000000000");
        Assert.Equal(await (await unknown.GetAsync("/api/me")).Content.ReadAsStringAsync(), await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, (await owner.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task AUser_CannotListIssueOrRevokeAnotherUsersTokens()
    {
        var bobToken = await system.CreateUserAsync("bob");
        using var bob = system.Client(bobToken);
        using var mallory = system.Client(await system.CreateUserAsync("mallory"));
        var bobName = await NameAsync(bob);
        var (bobsId, _) = await IssueAsync(bob, "phone");

        Assert.Equal(HttpStatusCode.NotFound, (await mallory.DeleteAsync($"/api/tokens/{bobsId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.GetAsync($"/api/users/{bobName}/tokens")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.DeleteAsync($"/api/users/{bobName}/tokens/{bobsId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.PostAsJsonAsync($"/api/users/{bobName}/tokens", new { revokeOthers = true })).StatusCode);
        // The same answer as for a user that does not exist, so the routes say nothing about who does.
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.GetAsync("/api/users/nobody-at-all/tokens")).StatusCode);
        Assert.DoesNotContain((await ListAsync(mallory, "/api/tokens")), t => t!["id"]!.GetValue<string>() == bobsId);

        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/api/me")).StatusCode);
        Assert.Equal(2, (await ListAsync(bob, "/api/tokens")).Count);
        Assert.Equal(2, (await ListAsync(bob, $"/api/users/{bobName}/tokens")).Count);
    }

    [Fact]
    public async Task AnAdmin_RotatesAUsersToken_RevokingTheOthers_AndMayRevokeAnyToken()
    {
        var oldToken = await system.CreateUserAsync("rotated");
        using var old = system.Client(oldToken);
        var name = await NameAsync(old);
        var (spareId, spare) = await IssueAsync(old, "spare");
        using var admin = system.Client(system.AdminToken);

        var kept = await admin.PostAsJsonAsync($"/api/users/{name}/tokens", new { name = "added" });
        Assert.Equal(HttpStatusCode.Created, kept.StatusCode);
        Assert.Empty((await kept.Content.ReadFromJsonAsync<JsonObject>())!["revoked"]!.AsArray());
        Assert.Equal(HttpStatusCode.OK, (await old.GetAsync("/api/me")).StatusCode);

        var rotated = await admin.PostAsJsonAsync($"/api/users/{name}/tokens", new { name = "after-leak", revokeOthers = true });
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var answer = (await rotated.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(3, answer["revoked"]!.AsArray().Count);
        Assert.Contains(answer["revoked"]!.AsArray(), id => id!.GetValue<string>() == spareId);
        using var fresh = system.Client(answer["token"]!.GetValue<string>());
        Assert.Equal(name, await NameAsync(fresh));
        Assert.Equal(HttpStatusCode.Unauthorized, (await old.GetAsync("/api/me")).StatusCode);
        using (var spareClient = system.Client(spare))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await spareClient.GetAsync("/api/me")).StatusCode);
        }

        var listed = await ListAsync(admin, $"/api/users/{name}/tokens");
        Assert.Equal(["after-leak"], listed.Select(t => t!["name"]!.GetValue<string>()));

        // An admin revokes a user's token by id, through either route.
        var (otherId, other) = await IssueAsync(fresh, "other");
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/users/{name}/tokens/{otherId}")).StatusCode);
        using (var otherClient = system.Client(other))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await otherClient.GetAsync("/api/me")).StatusCode);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/tokens/{answer["id"]!.GetValue<string>()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await fresh.GetAsync("/api/me")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsJsonAsync("/api/users/nobody-at-all/tokens", new { })).StatusCode);
    }

    [Fact]
    public async Task TokenLists_ShowNamesAndTimes_ButNeverATokenOrItsHash()
    {
        var initial = await system.CreateUserAsync("lister");
        using var user = system.Client(initial);
        var name = await NameAsync(user);
        var (_, second) = await IssueAsync(user, "second");
        using (var secondClient = system.Client(second))
        {
            Assert.Equal(name, await NameAsync(secondClient));
        }

        using var admin = system.Client(system.AdminToken);

        foreach (var (client, path) in new[] { (user, "/api/tokens"), (user, $"/api/users/{name}/tokens"), (admin, $"/api/users/{name}/tokens") })
        {
            var text = await client.GetStringAsync(path);
            foreach (var secret in new[] { initial, second, TokenHasher.Hash(initial), TokenHasher.Hash(second) })
            {
                Assert.DoesNotContain(secret, text, StringComparison.OrdinalIgnoreCase);
            }

            var items = JsonNode.Parse(text)!["items"]!.AsArray();
            Assert.Equal(["initial", "second"], items.Select(t => t!["name"]!.GetValue<string>()));
            foreach (var item in items)
            {
                Assert.Equal(["createdAt", "expiresAt", "id", "lastUsedAt", "name"], item!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
            }

            // Both tokens were used above, so both have a last use.
            Assert.All(items, t => Assert.NotNull(t!["lastUsedAt"]));
        }
    }

    public static TheoryData<string, string> BadNewTokens() => new()
    {
        { """{ "name": "this-name-is-sixty-five-characters-long-which-is-one-too-many-xxx" }""", "name" },
        { """{ "name": "" }""", "name" },
        { """{ }""", "name" },
        { """{ "name": " leading-space" }""", "name" },
        { """{ "name": "tab\there" }""", "name" },
        { """{ "name": "new\nline" }""", "name" },
        { """{ "name": 12 }""", "name" },
        { """{ "name": "ok", "expiresInSeconds": 0 }""", "expiresInSeconds" },
        { """{ "name": "ok", "expiresInSeconds": -5 }""", "expiresInSeconds" },
        { """{ "name": "ok", "expiresInSeconds": 316224001 }""", "expiresInSeconds" },
        { """{ "name": "ok", "expiresInSeconds": 1e30 }""", "expiresInSeconds" },
        { """{ "name": "ok", "expiresInSeconds": "60" }""", "expiresInSeconds" },
        { """{ "name": "ok", "expiresAt": "2001-01-01T00:00:00Z" }""", "expiresAt" },
        { """{ "name": "ok", "expiresAt": "2999-01-01T00:00:00Z" }""", "expiresAt" },
        { """{ "name": "ok", "expiresAt": "tomorrow" }""", "expiresAt" },
        { """{ "name": "ok", "expiresAt": "2099-01-01T00:00:00Z", "expiresInSeconds": 60 }""", "expiresAt" },
        { """{ "name": "ok", "revokeOthers": true }""", "revokeOthers" },
        { """{ "name": "ok", "token": "corral_chosen_by_the_caller_0000000000" }""", "token" },
    };

    [Theory]
    [MemberData(nameof(BadNewTokens))]
    public async Task ABadNewToken_IsANamedProblem_AndNothingIsStored(string body, string field)
    {
        using var user = system.Client(await system.CreateUserAsync("badtoken"));
        var response = await user.PostAsync("/api/tokens", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.NotNull(problem["errors"]![field]);
        Assert.Single(await ListAsync(user, "/api/tokens"));
    }

    [Theory]
    [InlineData("0123456789abcdef")]
    [InlineData("not-an-id")]
    [InlineData("..%2F..%2Fetc")]
    public async Task RevokingAnUnknownId_IsANotFoundNamingId(string id)
    {
        using var user = system.Client(await system.CreateUserAsync("unknownid"));
        var response = await user.DeleteAsync($"/api/tokens/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotNull((await response.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!["id"]);
        Assert.Equal(HttpStatusCode.OK, (await user.GetAsync("/api/me")).StatusCode);
    }

    private static HttpClient Client(Uri address, string token)
    {
        var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<(string Id, string Token)> IssueAsync(HttpClient owner, string name)
    {
        var response = await owner.PostAsJsonAsync("/api/tokens", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var issued = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(name, issued["name"]!.GetValue<string>());
        return (issued["id"]!.GetValue<string>(), issued["token"]!.GetValue<string>());
    }

    private static async Task<string> NameAsync(HttpClient client) =>
        (await client.GetFromJsonAsync<JsonObject>("/api/me"))!["name"]!.GetValue<string>();

    private static async Task<JsonArray> ListAsync(HttpClient client, string path) =>
        (await client.GetFromJsonAsync<JsonObject>(path))!["items"]!.AsArray();
}
