using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Corral.Tests.Grains;

/// <summary>
/// For consistency tests that kill silos: calls spread over the silos by id, so submissions really arrive through
/// different silos, and a call that hit a silo being killed is repeated (every call they use is idempotent).
/// </summary>
public static class SpreadCalls
{
    public static IGrainFactory Through(TestCluster cluster, string id)
    {
        var silos = cluster.Silos.OfType<InProcessSiloHandle>().ToList();
        return silos[(int)((uint)id.GetHashCode() % (uint)silos.Count)].SiloHost.Services.GetRequiredService<IGrainFactory>();
    }

    public static async Task<T> Retry<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception error) when (attempt < 30 && error is not Xunit.Sdk.XunitException)
            {
                await Task.Delay(200);
            }
        }
    }
}
