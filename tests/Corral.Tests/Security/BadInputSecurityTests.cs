using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Corral.Tests.EndToEnd;
using Corral.Tests.Files;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// The bad-input table: what a hostile or careless client sends to <c>POST /api/jobs</c> (sizes, unicode, numbers at
/// and past their limits, wrong types, duplicate keys, huge arrays, malformed multipart). Each is answered with a
/// problem naming the member at fault, and nothing of it is stored: the user has no job and no input file afterwards.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class BadInputSecurityTests(CorralSystem system)
{
    private const string Ok = """ "service": "s", "command": ["true"] """;

    /// <summary>JSON bodies, the member the problem must name, and the status (400 unless the body is too large).</summary>
    public static TheoryData<string, string, string> BadJsonBodies => new()
    {
        // Sizes.
        { "service of 64 characters", $$"""{ "service": "{{new string('s', 64)}}", "command": ["true"] }""", "service" },
        { "empty service", """{ "service": "", "command": ["true"] }""", "service" },
        { "command one byte past 64 KiB", $$"""{ "service": "s", "command": ["sh", "-c", "{{new string('x', 64 * 1024 - 3)}}"] }""", "command" },
        { "env with 129 entries", $$"""{ {{Ok}}, "env": { {{string.Join(", ", Enumerable.Range(0, 129).Select(i => $"\"V{i}\": \"x\""))}} } }""", "env" },
        { "env value one byte past 32 KiB", $$"""{ {{Ok}}, "env": { "A": "{{new string('v', 32 * 1024 + 1)}}" } }""", "env.A" },
        { "image name of 300 characters", $$"""{ {{Ok}}, "image": "{{new string('i', 300)}}:latest" }""", "image" },
        { "empty command", """{ "service": "s", "command": [] }""", "command" },
        // Unicode.
        { "accented service", """{ "service": "sérvice", "command": ["true"] }""", "service" },
        { "emoji service", """{ "service": "s\ud83d\ude00", "command": ["true"] }""", "service" },
        { "right-to-left override in service", """{ "service": "a\u202eb", "command": ["true"] }""", "service" },
        { "non-ASCII env name", """{ "service": "s", "command": ["true"], "env": { "ÅB": "x" } }""", "env.ÅB" },
        { "NUL in a command", """{ "service": "s", "command": ["echo", "a\u0000b"] }""", "command" },
        { "lone surrogate in a command", """{ "service": "s", "command": ["echo", "\ud800"] }""", "command" },
        { "unicode in the image", """{ "service": "s", "command": ["true"], "image": "cörral/busybox:latest" }""", "image" },
        { "fullwidth digits for cpu", """{ "service": "s", "command": ["true"], "resources": { "cpu": "２" } }""", "resources.cpu" },
        // Numbers at and past their limits.
        { "cpu just below the floor", """{ "service": "s", "command": ["true"], "resources": { "cpu": 0.009 } }""", "resources.cpu" },
        { "cpu 1e-10 (would round to no cap)", """{ "service": "s", "command": ["true"], "resources": { "cpu": 1e-10 } }""", "resources.cpu" },
        { "cpu past the ceiling", """{ "service": "s", "command": ["true"], "resources": { "cpu": 1024.5 } }""", "resources.cpu" },
        { "cpu past a double", """{ "service": "s", "command": ["true"], "resources": { "cpu": 1e400 } }""", "resources.cpu" },
        { "pids 0", """{ "service": "s", "command": ["true"], "resources": { "pids": 0 } }""", "resources.pids" },
        { "pids past the limit", """{ "service": "s", "command": ["true"], "resources": { "pids": 4194305 } }""", "resources.pids" },
        { "pids past an int", """{ "service": "s", "command": ["true"], "resources": { "pids": 2147483648 } }""", "resources.pids" },
        { "memory below 6 MiB", """{ "service": "s", "command": ["true"], "resources": { "memory": "5Mi" } }""", "resources.memory" },
        { "negative memory", """{ "service": "s", "command": ["true"], "resources": { "memory": "-1Gi" } }""", "resources.memory" },
        { "memory past a long", """{ "service": "s", "command": ["true"], "resources": { "memory": "99999999999999Ti" } }""", "resources.memory" },
        { "gpu count 0", """{ "service": "s", "command": ["true"], "resources": { "gpu": { "count": 0 } } }""", "resources.gpu.count" },
        { "gpu count past 64", """{ "service": "s", "command": ["true"], "resources": { "gpu": { "count": 65 } } }""", "resources.gpu.count" },
        { "max duration past 30 days", """{ "service": "s", "command": ["true"], "maxDurationSeconds": 2592001 }""", "maxDurationSeconds" },
        { "negative max duration", """{ "service": "s", "command": ["true"], "maxDurationSeconds": -5 }""", "maxDurationSeconds" },
        { "retry attempts 0", """{ "service": "s", "command": ["true"], "retry": { "onWorkerLost": true, "maxAttempts": 0 } }""", "retry.maxAttempts" },
        // Wrong types.
        { "service as a number", """{ "service": 5, "command": ["true"] }""", "service" },
        { "command as a string", """{ "service": "s", "command": "echo hi" }""", "command" },
        { "command of numbers", """{ "service": "s", "command": [1, 2] }""", "command" },
        { "env as an array", """{ "service": "s", "command": ["true"], "env": ["A=1"] }""", "env" },
        { "resources as a string", """{ "service": "s", "command": ["true"], "resources": "big" }""", "resources" },
        { "an unknown priority", """{ "service": "s", "command": ["true"], "priority": "urgent" }""", "priority" },
        { "priority as an object", """{ "service": "s", "command": ["true"], "priority": { "level": 1 } }""", "priority" },
        { "retry as true", """{ "service": "s", "command": ["true"], "retry": true }""", "retry" },
        { "max duration as a fraction", """{ "service": "s", "command": ["true"], "maxDurationSeconds": 1.5 }""", "maxDurationSeconds" },
        { "ssh key as a number", """{ "service": "s", "kind": "ssh", "sshPublicKey": 1 }""", "sshPublicKey" },
        { "the body null", "null", "body" },
        { "the body a string", "\"run this\"", "body" },
        // Duplicate keys: which one would win is the parser's choice, not the user's.
        { "service twice", """{ "service": "a", "service": "b", "command": ["true"] }""", "service" },
        { "an env name twice", """{ "service": "s", "command": ["true"], "env": { "A": "1", "A": "2" } }""", "env.A" },
        { "cpu twice", """{ "service": "s", "command": ["true"], "resources": { "cpu": 0.5, "cpu": 1000 } }""", "resources.cpu" },
        // Huge arrays.
        { "a command of 100,000 words", $$"""{ "service": "s", "command": [{{string.Join(",", Enumerable.Repeat("\"x\"", 100_000))}}] }""", "command" },
        { "env with 10,000 entries", $$"""{ {{Ok}}, "env": { {{string.Join(", ", Enumerable.Range(0, 10_000).Select(i => $"\"V{i}\": \"x\""))}} } }""", "env" },
        { "a nested array 100 deep", $$"""{ {{Ok}}, "env": {{new string('[', 100)}}{{new string(']', 100)}} }""", "env" },
    };

    [Theory]
    [MemberData(nameof(BadJsonBodies))]
    public async Task BadJsonBody_Is400_NamingTheMember_AndStoresNothing(string what, string json, string member)
    {
        using var user = system.Client(await system.CreateUserAsync("bad"));
        var response = await user.PostAsync("/api/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertNamedProblemAsync(response, HttpStatusCode.BadRequest, member, what);
        await AssertNoJobsAsync(user);
    }

    [Fact]
    public async Task AMemberSentTwice_IsNamedAsSentTwice_NotAsTheWrongType()
    {
        using var user = system.Client(await system.CreateUserAsync("bad"));
        var response = await user.PostAsync("/api/jobs", new StringContent(
            """{ "service": "s", "command": ["true"], "resources": { "cpu": 0.5, "cpu": 1000 } }""", Encoding.UTF8, "application/json"));
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("is given more than once: send each member once", problem["errors"]!["resources.cpu"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task InvalidUtf8Body_Is400_NamingTheBody_AndStoresNothing()
    {
        using var user = system.Client(await system.CreateUserAsync("bad"));
        byte[] body = [.. Encoding.UTF8.GetBytes("""{ "service": "s", "command": ["echo", " """), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"] }")];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await user.PostAsync("/api/jobs", content);
        await AssertNamedProblemAsync(response, HttpStatusCode.BadRequest, "command", "invalid UTF-8");
        await AssertNoJobsAsync(user);
    }

    [Fact]
    public async Task BodyPastTheRouteLimit_Is413_NamingTheBody_AndStoresNothing()
    {
        using var user = system.Client(await system.CreateUserAsync("bad"));
        // The gateway answers before reading the body: a client that waits for "100 Continue" hears the 413.
        user.DefaultRequestHeaders.ExpectContinue = true;
        var json = $$"""{ {{Ok}}, "env": { "A": "{{new string('x', 8 * 1024 * 1024)}}" } }""";
        var response = await user.PostAsync("/api/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        await AssertNamedProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body", "8 MiB body");
        await AssertNoJobsAsync(user);
    }

    /// <summary>Multipart bodies (the same route with input files) whose form is malformed, and the member named.</summary>
    public static TheoryData<string, string, string, string> BadMultipartBodies => new()
    {
        { "no boundary", "multipart/form-data", "--x\r\n\r\n", "body" },
        { "a truncated part", "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.txt\"\r\n\r\nhalf a file", "body" },
        { "a part without a disposition", "multipart/form-data; boundary=b", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n", "body" },
        { "no spec", "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"in.txt\"\r\n\r\nx\r\n--b--\r\n", "spec" },
        { "a spec that is not JSON", "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"spec\"\r\n\r\n{ not json\r\n--b--\r\n", "spec" },
        { "a file that leaves /work", "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"spec\"\r\n\r\n{ \"service\": \"s\", \"command\": [\"true\"] }\r\n" +
            "--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n\r\nroot\r\n--b--\r\n", "file" },
        { "an unknown field", "multipart/form-data; boundary=b",
            "--b\r\nContent-Disposition: form-data; name=\"spec\"\r\n\r\n{ \"service\": \"s\", \"command\": [\"true\"] }\r\n" +
            "--b\r\nContent-Disposition: form-data; name=\"admin\"\r\n\r\ntrue\r\n--b--\r\n", "admin" },
    };

    [Theory]
    [MemberData(nameof(BadMultipartBodies))]
    public async Task MalformedMultipart_Is400_NamingTheMember_AndStoresNothing(string what, string contentType, string body, string member)
    {
        using var user = system.Client(await system.CreateUserAsync("bad"));
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var response = await user.PostAsync("/api/jobs", content);
        await AssertNamedProblemAsync(response, HttpStatusCode.BadRequest, member, what);
        await AssertNoJobsAsync(user);
        Assert.Equal(0, await FileUploads.StoredInputsAsync(system.ConnectionString, "in.txt"));
    }

    private static async Task AssertNamedProblemAsync(HttpResponseMessage response, HttpStatusCode status, string member, string what)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{what}: {(int)response.StatusCode} {text}");
        var problem = JsonNode.Parse(text)!.AsObject();
        Assert.True(problem["errors"]?.AsObject().ContainsKey(member) == true, $"{what}: the problem does not name '{member}': {text}");
        // The parser's own words name .NET types; a user must get the rule instead.
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("could not be converted", text, StringComparison.Ordinal);
    }

    private static async Task AssertNoJobsAsync(HttpClient user)
    {
        var page = (await user.GetFromJsonAsync<JsonObject>("/api/jobs"))!;
        Assert.Empty(page["items"]!.AsArray());
    }
}
