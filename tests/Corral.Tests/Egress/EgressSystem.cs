using Corral.HostAgent;
using Corral.Tests.EndToEnd;
using Xunit;

namespace Corral.Tests.Egress;

/// <summary>
/// The whole system with a 1 MB data-transfer quota, and an external test host to send to. The test host's
/// "excluded" and "private" addresses are added to the default DATA_TRANSFER_EXCLUDED_CIDRS, as private networks
/// would be, and the "excluded" ones are opened to jobs with JOB_ALLOWED_CIDRS: excluded traffic that really crosses
/// FORWARD. The test host's metered IPv4 address is the jobs' only DNS server (JOB_DNS_SERVERS).
/// </summary>
public sealed class EgressSystem : CorralSystem
{
    public const long Quota = 1_000_000;

    public ExternalTestHost TestHost { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        TestHost = await ExternalTestHost.CreateAsync();
        SetHostAgentVariable("DATA_TRANSFER_QUOTA_PER_JOB", Quota.ToString());
        // The restart test kills the agent mid-job: its jobs must outlive the restart, however slow the machine.
        SetSystemVariable("CORRAL_WORKER_LOST_AFTER_SECONDS", "120");
        SetHostAgentVariable(
            "DATA_TRANSFER_EXCLUDED_CIDRS",
            $"{HostAgentSettings.DefaultExcludedCidrs},{TestHost.ExcludedV4}/32,{TestHost.ExcludedV6}/128,{TestHost.PrivateV4}/32,{TestHost.PrivateV6}/128");
        SetHostAgentVariable("JOB_ALLOWED_CIDRS", $"{TestHost.ExcludedV4}/32,{TestHost.ExcludedV6}/128");
        SetHostAgentVariable("JOB_DNS_SERVERS", TestHost.MeteredV4.ToString());
        try
        {
            await base.InitializeAsync();
        }
        catch
        {
            await TestHost.DisposeAsync();
            throw;
        }
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            if (TestHost is not null)
            {
                await TestHost.DisposeAsync();
            }
        }
    }
}

/// <summary>
/// Runs alone, after the parallel collections: these tests change the host's real firewall, which every agent and
/// container on this machine shares, so they must not overlap other end-to-end tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EgressCollection : ICollectionFixture<EgressSystem>
{
    public const string Name = "running system with an egress quota";
}
