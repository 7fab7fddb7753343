using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>One user's flood of requests is refused with 429 and Retry-After; other users, admins and probes are not held up.</summary>
public sealed class RateLimitSecurityTests(RateLimitedSystem system) : IClassFixture<RateLimitedSystem>
{
    [Fact]
    public async Task AFlood_IsRefusedWithRetryAfter_WhileOthersAreServed()
    {
        using var flooder = system.Client(await system.CreateUserAsync("flood"));
        using var neighbour = system.Client(await system.CreateUserAsync("calm"));

        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 10; i++)
        {
            answers.Add(await flooder.GetAsync("/api/me"));
        }

        var refused = answers.Where(a => a.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.InRange(refused.Count, 5, 7);
        var first = refused[0];
        Assert.True(int.Parse(first.Headers.GetValues("Retry-After").Single()) >= 1);
        var problem = (await first.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Contains("more than 1 requests a second", problem["detail"]!.GetValue<string>());
        Assert.NotNull(problem["errors"]!["rate"]);

        Assert.Equal(HttpStatusCode.OK, (await neighbour.GetAsync("/api/me")).StatusCode);
        using var admin = system.Client(system.AdminToken);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/me")).StatusCode);
        }

        using var probe = system.Client(null);
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/healthz/live")).StatusCode);
        }

        // The bucket refills: after the advertised wait the flooder is served again.
        await Task.Delay(TimeSpan.FromSeconds(int.Parse(refused[^1].Headers.GetValues("Retry-After").Single()) + 1));
        Assert.Equal(HttpStatusCode.OK, (await flooder.GetAsync("/api/me")).StatusCode);
    }

    [Fact]
    public async Task BadTokens_AreLimitedByAddress()
    {
        using var guesser = system.Client("corral_not-a-real-token-at-all-0000000000");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++)
        {
            statuses.Add((await guesser.GetAsync("/api/me")).StatusCode);
        }

        Assert.Contains(HttpStatusCode.Unauthorized, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }
}
