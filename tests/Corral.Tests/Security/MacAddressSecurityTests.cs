using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Corral.Gateway.Jobs;
using Corral.HostAgent.Containers;
using Corral.Tests.EndToEnd;
using JobCalls = Corral.Tests.EndToEnd.Jobs;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// A job whose MAC another container on the host already has is refused before its container or egress rules exist.
/// The egress rules match MACs on every forwarded packet, whatever the network, so a container with the same MAC on
/// another network (which the engine allows) would share the job's count and quota.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class MacAddressSecurityTests(CorralSystem system)
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JobWhoseMacIsInUseOnTheHost_EndsContainerError_AndTheOtherContainerIsNotNamed(bool onAnotherNetwork)
    {
        var name = "macuser" + Guid.NewGuid().ToString("N")[..6];
        using var admin = system.Client(system.AdminToken);
        var created = await admin.PostAsJsonAsync("/api/users", new { name });
        using var user = system.Client((await created.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());

        // The job id follows from the key; its MAC, from the agent's secret key, which only root on the host reads.
        var idempotencyKey = "mac-" + Guid.NewGuid().ToString("N");
        var jobId = JobSubmitter.JobIdFor(name, idempotencyKey);
        var hostKey = await File.ReadAllBytesAsync(Path.Combine(system.JobOutputFolder, JobMacKey.FileName));
        var mac = JobMacAddress.For(jobId, hostKey);
        var squatter = "corral-sec-mac-" + Guid.NewGuid().ToString("N")[..8];
        if (onAnotherNetwork)
        {
            await TestEnvironment.DockerAsync("network", "create", squatter);
        }

        await TestEnvironment.DockerAsync(
            "run", "-d", "--name", squatter, "--network", onAnotherNetwork ? squatter : "bridge", "--mac-address", mac, "corral/busybox:latest", "sleep", "300");
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs")
            {
                Content = JsonContent.Create(JobCalls.Shell("echo started", service: "macs")),
            };
            request.Headers.Add("Idempotency-Key", idempotencyKey);
            var response = await user.SendAsync(request);
            response.EnsureSuccessStatusCode();
            Assert.Equal(jobId, (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

            var job = await CorralSystem.Terminal(system, user, jobId);
            Assert.Equal(("failed", "container_error"), (JobCalls.Status(job), JobCalls.Reason(job)));
            var message = job["message"]!.GetValue<string>();
            Assert.Contains("MAC address", message, StringComparison.Ordinal);
            Assert.Contains("already in use", message, StringComparison.Ordinal);
            Assert.DoesNotContain(squatter, message, StringComparison.Ordinal);
            Assert.DoesNotContain("started", await user.GetStringAsync($"/api/jobs/{jobId}/logs"), StringComparison.Ordinal);
            // The container already there was left alone.
            Assert.Equal("true", await TestEnvironment.DockerAsync("inspect", "-f", "{{.State.Running}}", squatter));
        }
        finally
        {
            await TestEnvironment.DockerAsync("rm", "-f", squatter);
            if (onAnotherNetwork)
            {
                await TestEnvironment.DockerAsync("network", "rm", squatter);
            }
        }
    }
}
