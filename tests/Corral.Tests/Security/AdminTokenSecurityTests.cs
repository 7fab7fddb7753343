using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>An admin token short enough to guess stops the gateway at start, naming the variable, never echoing it.</summary>
public sealed class AdminTokenSecurityTests
{
    [Theory]
    [InlineData("corral_abcdefghijklmnopqrstuvwx")] // 31 characters, of the allowed kind
    [InlineData("0123456789012345678901234567890")]
    public async Task AnAdminTokenUnder32Characters_StopsTheGateway_NamingTheVariable(string token)
    {
        Assert.Equal(31, token.Length);
        using var gateway = new ManagedProcess("gateway", TestEnvironment.ProcessPath("Gateway", "Corral.Gateway"), new Dictionary<string, string>
        {
            ["CORRAL_POSTGRES"] = TestEnvironment.AdminConnectionString,
            ["CORRAL_CLUSTER_ID"] = "admin-token-" + Guid.NewGuid().ToString("N")[..8],
            ["CORRAL_GATEWAY_PORT"] = "0",
            ["CORRAL_URL"] = $"http://127.0.0.1:{TestEnvironment.FreePort()}",
            ["CORRAL_ADMIN_TOKEN"] = token,
        });
        gateway.Start();

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("CORRAL_ADMIN_TOKEN", gateway.Output);
        Assert.Contains("at least 32 characters", gateway.Output);
        Assert.DoesNotContain(token, gateway.Output);
    }
}
