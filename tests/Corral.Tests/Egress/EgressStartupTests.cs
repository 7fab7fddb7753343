using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Egress;

public sealed class EgressStartupTests
{
    [Fact]
    public async Task HostWithoutIptables_TheAgentExitsAtStart_NamingIptables()
    {
        // A PATH with no iptables on it stands for a host without the package.
        var empty = Directory.CreateTempSubdirectory("corral-no-iptables-");
        try
        {
            using var process = new ManagedProcess("hostagent", TestEnvironment.ProcessPath("HostAgent", "Corral.HostAgent"), new Dictionary<string, string>
            {
                ["PATH"] = empty.FullName,
                ["CORRAL_POSTGRES"] = TestEnvironment.AdminConnectionString,
                ["CORRAL_CLUSTER_ID"] = "no-iptables-" + Guid.NewGuid().ToString("N")[..8],
                ["CORRAL_SILO_PORT"] = TestEnvironment.FreePort().ToString(),
                ["CORRAL_GATEWAY_PORT"] = "0",
            });
            process.Start();
            var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
            Assert.NotEqual(0, exitCode);
            Assert.Contains("corral-hostagent: egress metering needs iptables", process.Output);
            Assert.DoesNotContain("Registering worker", process.Output);
        }
        finally
        {
            empty.Delete();
        }
    }
}
