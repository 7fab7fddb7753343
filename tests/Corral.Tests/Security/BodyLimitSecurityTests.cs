using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Corral.Gateway.Api;
using Corral.Gateway.Api.Requests;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Each route that takes a body refuses one over its limit with a 413 problem naming "body" and the limit, whether
/// the body declares its length or comes chunked, and nothing is stored.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BodyLimitSecurityTests(CorralSystem system)
{
    public static TheoryData<string, bool> Routes => new()
    {
        { "/api/jobs", false }, { "/api/jobs", true },
        { "/api/users", false }, { "/api/users", true },
    };

    [Theory]
    [MemberData(nameof(Routes))]
    public async Task ABodyOverTheRoutesLimit_IsRefusedWith413NamingBodyAndTheLimit(string route, bool chunked)
    {
        var limit = BodyLimits.For("POST", route);
        var user = "big" + Guid.NewGuid().ToString("N")[..6];
        var token = route == "/api/users" ? system.AdminToken : await system.CreateUserAsync("big");
        using var client = system.Client(token);
        // As curl does for a large body: wait for the server's go-ahead, which a refused body never gets.
        client.DefaultRequestHeaders.ExpectContinue = true;
        var content = OversizedBody(route, limit + 1, user);
        Assert.True((await content.ReadAsByteArrayAsync()).Length > limit);
        if (chunked)
        {
            // Same bytes, length not declared: the limit has to be found while reading.
            var inner = content;
            content = new StreamContent(new NonSeekable(await inner.ReadAsByteArrayAsync()));
            content.Headers.ContentType = inner.Headers.ContentType;
        }

        var response = await client.PostAsync(route, content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(problem["errors"]!.AsObject().ContainsKey("body"), problem.ToJsonString());
        Assert.Contains($"{limit} bytes", problem["detail"]!.GetValue<string>());
        // Nothing was stored: no job for the user, no new user.
        if (route == "/api/users")
        {
            using var admin = system.Client(system.AdminToken);
            Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/users", new { name = user })).StatusCode);
        }
        else
        {
            var jobs = (await client.GetFromJsonAsync<JsonObject>("/api/jobs"))!["items"]!.AsArray();
            Assert.Empty(jobs);
        }
    }

    [Fact]
    public async Task AFormUnderTheLimit_StillReachesTheRoutesOwnChecks()
    {
        // A form without run.sh, far under the upload limit: the handler's own 400 naming the file.
        using var client = system.Client(await system.CreateUserAsync("big"));
        var response = await client.PostAsync("/upload", Form(new string('x', 1000)));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("file:", (await response.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());
    }

    [Fact]
    public void TheJobSpecLimit_HoldsTheLargestSpecTheRulesAccept_AsPlainJson()
    {
        var env = Enumerable.Range(0, JobSpecRules.MaxEnvEntries)
            .ToDictionary(i => $"VARIABLE_{i:D3}", _ => new string('v', JobSpecRules.MaxEnvValueBytes));
        var spec = new
        {
            service = "largest",
            image = JobSpecRules.DefaultImage,
            command = new[] { "sh", "-c", new string('c', JobSpecRules.MaxCommandBytes - 5) },
            env,
            resources = new { cpu = 1.5, memory = "512Mi", pids = 100 },
        };
        var (accepted, errors) = Corral.Gateway.Jobs.JobSpecValidator.Validate(
            JsonSerializer.Deserialize<JobSpecRequest>(JsonSerializer.Serialize(spec), ApiJsonOptions()));

        Assert.True(accepted is not null, string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}")));
        Assert.True(JsonSerializer.SerializeToUtf8Bytes(spec).Length <= BodyLimits.JobSpec);
        Assert.True(BodyLimits.JobSpec >= 1024 * 1024);
    }

    private static JsonSerializerOptions ApiJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        ApiJson.Configure(options);
        return options;
    }

    /// <summary>A body of at least <paramref name="size"/> bytes of the kind the route reads.</summary>
    private static HttpContent OversizedBody(string route, long size, string user) => route switch
    {
        // One long string: the reader has to take in the whole body before it can find anything wrong with it.
        "/api/users" => JsonOf($$"""{ "name": "{{user}}{{new string('p', (int)size)}}" }"""),
        _ => JsonOf($$"""{ "service": "big", "command": ["true"], "env": { "PADDING": "{{new string('p', (int)size)}}" } }"""),
    };

    private static HttpContent JsonOf(string json) => new StringContent(json, Encoding.UTF8, "application/json");

    private static MultipartFormDataContent Form(string script)
    {
        var file = new ByteArrayContent(Encoding.UTF8.GetBytes(script));
        file.Headers.ContentType = new MediaTypeHeaderValue("text/x-sh");
        return new MultipartFormDataContent { { new StringContent("example"), "service" }, { file, "file", "not-run.sh" } };
    }

    /// <summary>A stream that cannot tell its length, so HttpClient sends it chunked.</summary>
    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
