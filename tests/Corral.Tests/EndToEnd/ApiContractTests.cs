using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace Corral.Tests.EndToEnd;

[Collection(SystemCollection.Name)]
public sealed class ApiContractTests(CorralSystem system)
{
    /// <summary>The items of one page of a job list (<c>{ items, nextCursor }</c>).</summary>
    private static async Task<JsonArray> ListAsync(HttpClient client, string path) =>
        (await client.GetFromJsonAsync<JsonObject>(path))!["items"]!.AsArray();

    [Fact]
    public async Task JobList_IsPagedNewestFirstByCursor_Filters_AndNamesABadLimitOrCursor()
    {
        var name = "pager" + Guid.NewGuid().ToString("N")[..6];
        using var admin = system.Client(system.AdminToken);
        var created = await admin.PostAsJsonAsync("/api/users", new { name });
        using var alice = system.Client((await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());
        var ids = new List<string>();
        foreach (var service in new[] { "pages", "pages", "other" })
        {
            ids.Add(await Jobs.SubmitAsync(alice, new { service, image = "corral/busybox:latest", command = new[] { "true" } }));
        }

        foreach (var id in ids)
        {
            await CorralSystem.Terminal(system, alice, id);
        }

        var first = (await alice.GetFromJsonAsync<JsonObject>("/api/jobs?limit=2"))!;
        var second = (await alice.GetFromJsonAsync<JsonObject>($"/api/jobs?limit=2&cursor={Uri.EscapeDataString(first["nextCursor"]!.GetValue<string>())}"))!;
        string[] Ids(JsonObject page) => [.. page["items"]!.AsArray().Select(j => j!["id"]!.GetValue<string>())];
        Assert.Equal([ids[2], ids[1]], Ids(first));
        Assert.Equal([ids[0]], Ids(second));
        Assert.Null(second["nextCursor"]);
        var item = first["items"]![0]!;
        Assert.Equal((name, "other", "succeeded", 0), (item["user"]!.GetValue<string>(), item["service"]!.GetValue<string>(),
            item["status"]!.GetValue<string>(), item["exitCode"]!.GetValue<int>()));
        Assert.NotNull(item["finishedAt"]);

        Assert.Equal([ids[1], ids[0]], Ids((await alice.GetFromJsonAsync<JsonObject>("/api/jobs?service=PAGES&status=succeeded"))!));
        Assert.Empty(await ListAsync(alice, "/api/jobs?status=running"));
        Assert.Equal(ids.AsEnumerable().Reverse(), Ids((await admin.GetFromJsonAsync<JsonObject>($"/api/jobs?user={name}"))!));

        foreach (var (query, field) in new[] { ("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("cursor=bogus", "cursor") })
        {
            var response = await alice.GetAsync($"/api/jobs?{query}");
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(problem["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
        }
    }

    public static TheoryData<string, string> BadSpecs => new()
    {
        { """{ "image": "corral/busybox:latest", "command": ["true"] }""", "service" },
        { """{ "service": "s", "image": "no-such-image:1", "command": ["true"] }""", "image" },
        { """{ "service": "s", "command": ["true"], "resources": { "memory": "12XB" } }""", "resources.memory" },
        { """{ "service": "s", "command": ["true"], "resources": { "cpu": 0 } }""", "resources.cpu" },
        { """{ "service": "s", "command": ["true"], "resources": { "cpu": -1 } }""", "resources.cpu" },
        { """{ "service": "s", "command": ["sh", "-c", "BIG"] }""", "command" },
        { """{ "service": "s", "command": ["true"] """, "body" },
        { """{ "service": "s", "kind": "ssh" }""", "sshPublicKey" },
        { """{ "service": "s", "kind": "ssh", "sshPublicKey": "command=\"sh\" ssh-ed25519 AAAA" }""", "sshPublicKey" },
        { """{ "service": "s", "command": ["true"], "maxDurationSeconds": 0 }""", "maxDurationSeconds" },
        { """{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true, "maxAttempts": 11 } }""", "retry.maxAttempts" },
        { """{ "service": "s", "command": ["true"], "servce": "typo" }""", "servce" },
        { """{ "service": "s", "command": ["true"], "resources": { "cpu": "2" } }""", "resources.cpu" },
        { """{ "service": "s", "command": ["true"], "resources": { "gpu": { "memory": true } } }""", "resources.gpu.memory" },
        { """{ "service": "s", "command": ["true"], "env": { "A": 1 } }""", "env.A" },
        { """{ "service": "s", "command": ["true"], "kind": 1 }""", "kind" },
        { """[1, 2]""", "body" },
    };

    [Theory]
    [MemberData(nameof(BadSpecs))]
    public async Task BadSpec_Is400_NamingTheField_AndCreatesNothing(string json, string field)
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        json = json.Replace("BIG", new string('x', 2 * 1024 * 1024), StringComparison.Ordinal);
        var response = await alice.PostAsync("/api/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
        Assert.StartsWith(field + ": ", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        // The serializer's own text names .NET types; a user must get the rule of the field instead.
        Assert.DoesNotContain("could not be", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.Empty(await ListAsync(alice, "/api/jobs"));
    }

    [Fact]
    public async Task Submit_AsPlainText_Is415NamingTheBody()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var response = await alice.PostAsync("/api/jobs", new StringContent("""{ "service": "s", "command": ["true"] }""", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(JsonNode.Parse(text)?["errors"]?["body"] is not null, text);
    }

    [Fact]
    public async Task CreateUser_WithAnUnknownMember_Is400NamingIt()
    {
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PostAsJsonAsync("/api/users", new { name = "x" + Guid.NewGuid().ToString("N")[..6], admin = true });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("is not a known field (known: name, role)", problem["errors"]!["admin"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task EveryRoute_NeedsAKnownWellFormedToken()
    {
        using var anonymous = system.Client(null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/quotas")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/upload", new MultipartFormDataContent())).StatusCode);
        using var malformed = system.Client("not a token!");
        var response = await malformed.GetAsync("/api/jobs");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("malformed", await response.Content.ReadAsStringAsync());
        using var unknown = system.Client("corral_thisTokenWasNeverIssued0000000000");
        Assert.Equal(HttpStatusCode.Unauthorized, (await unknown.GetAsync("/api/jobs")).StatusCode);
    }

    [Fact]
    public async Task AnotherUsersJob_IsNotFound_ButAnAdminSeesIt()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var mallory = system.Client(await system.CreateUserAsync("mallory"));
        using var admin = system.Client(system.AdminToken);
        var id = await Jobs.SubmitAsync(alice, Jobs.Shell("true"));

        Assert.Equal(HttpStatusCode.NotFound, (await mallory.GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.PostAsync($"/api/jobs/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.GetAsync($"/api/jobs/{id}/logs")).StatusCode);
        Assert.DoesNotContain(await ListAsync(mallory, "/api/jobs"), j => j!["id"]!.GetValue<string>() == id);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mallory.GetAsync("/api/workers")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await mallory.PostAsJsonAsync("/api/users", new { name = "eve" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/jobs/ffffffffffffffffffffffffffffffff")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.GetAsync("/api/jobs/..%2F..%2Fetc")).StatusCode);
        await CorralSystem.Terminal(system, alice, id);
    }

    [Theory]
    [InlineData("Alice")]
    [InlineData("ålice")]
    [InlineData("")]
    [InlineData("-lives")]
    [InlineData("a very long name that goes on and on and on")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public async Task CreateUser_WithABadName_Is400NamingName(string name)
    {
        using var admin = system.Client(system.AdminToken);
        var response = await admin.PostAsJsonAsync("/api/users", new { name });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"name\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreateUser_Twice_IsAConflict_AndTheFirstTokenKeepsWorking()
    {
        using var admin = system.Client(system.AdminToken);
        var name = "dup" + Guid.NewGuid().ToString("N")[..6];
        var first = await admin.PostAsJsonAsync("/api/users", new { name });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var token = (await first.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.Conflict, (await admin.PostAsJsonAsync("/api/users", new { name })).StatusCode);
        using var user = system.Client(token);
        Assert.Equal(name, (await user.GetFromJsonAsync<JsonObject>("/api/me"))!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Submit_WithTheSameIdempotencyKey_ReturnsTheSameJob()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        var key = Guid.NewGuid().ToString();
        async Task<string> Once()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs") { Content = JsonContent.Create(Jobs.Shell("true")) };
            request.Headers.Add("Idempotency-Key", key);
            var response = await alice.SendAsync(request);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        }

        var first = await Once();
        Assert.Equal(first, await Once());
        Assert.Single(await ListAsync(alice, "/api/jobs"));
        await CorralSystem.Terminal(system, alice, first);
    }

    // Needs the host agent's half: run.sh runs from the job's working directory, /work.
    [Fact]
    public async Task Upload_TheSeedsCurlForm_RunsTheScript()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("#!/bin/bash\necho \"Job complete\" > output.txt\ncat output.txt\n"u8.ToArray()), "file", "run.sh" },
            { new StringContent("example"), "service" },
        };
        var response = await alice.PostAsync("/upload", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Queued", body["status"]!.GetValue<string>());
        Assert.Equal("Job successfully uploaded", body["message"]!.GetValue<string>());
        var id = body["id"]!.GetValue<string>();

        var done = await CorralSystem.Terminal(system, alice, id);
        Assert.Equal("succeeded", Jobs.Status(done));
        Assert.Equal("Job complete\n", await alice.GetStringAsync($"/api/jobs/{id}/logs"));
    }

    [Fact]
    public async Task Upload_ForAnotherUser_IsForbiddenToNonPortals()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent("echo hi\n"u8.ToArray()), "file", "run.sh" },
            { new StringContent("example"), "service" },
            { new StringContent("bob"), "user_id" },
        };
        var response = await alice.PostAsync("/upload", form);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("Unknown", body["status"]!.GetValue<string>());
        Assert.Contains("user_id", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Upload_WithoutRunSh_Is400NamingFile()
    {
        using var alice = system.Client(await system.CreateUserAsync("alice"));
        using var form = new MultipartFormDataContent { { new StringContent("example"), "service" } };
        var response = await alice.PostAsync("/upload", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(0, body["id"]!.GetValue<int>());
        Assert.StartsWith("file: run.sh is required", body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Workers_ShowTheProbedCapacity()
    {
        using var admin = system.Client(system.AdminToken);
        var workers = (await admin.GetFromJsonAsync<JsonArray>("/api/workers"))!;
        var worker = workers.Single(w => w!["name"]!.GetValue<string>() == system.WorkerName)!;
        Assert.Equal(Environment.ProcessorCount, worker["capacity"]!["cpu"]!.GetValue<double>());
        Assert.True(worker["capacity"]!["memoryBytes"]!.GetValue<long>() > 1L << 30);
        Assert.Contains("corral/busybox:latest", worker["images"]!.AsArray().Select(i => i!.GetValue<string>()));
    }
}
