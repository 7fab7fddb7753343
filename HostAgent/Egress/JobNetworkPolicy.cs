using System.Net;

namespace Corral.HostAgent.Egress;

/// <summary>
/// Where a job's traffic may go, besides the public internet. Blocked by default: the excluded (private) ranges and
/// the cloud metadata services; <see cref="Allowed"/> opens destinations inside them again. DNS goes only to
/// <see cref="DnsServers"/>.
/// </summary>
/// <param name="Excluded">DATA_TRANSFER_EXCLUDED_CIDRS: blocked unless allowed; free (not counted) where allowed.</param>
/// <param name="Allowed">JOB_ALLOWED_CIDRS.</param>
/// <param name="DnsServers">JOB_DNS_SERVERS: DNS (port 53) to these only, wherever they are.</param>
public sealed record JobNetworkPolicy(IReadOnlyList<IPNetwork> Excluded, IReadOnlyList<IPNetwork> Allowed, IReadOnlyList<IPAddress> DnsServers)
{
    /// <summary>The link-local metadata services of the clouds (AWS, GCP, Azure, OpenStack; AWS's IPv6 one).</summary>
    public static IReadOnlyList<IPNetwork> MetadataServices { get; } = [IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("fd00:ec2::254/128")];

    /// <summary>A policy that blocks the default ranges and allows no DNS (for tests of the rules).</summary>
    public static JobNetworkPolicy Closed(IReadOnlyList<IPNetwork> excluded) => new(excluded, [], []);

    /// <summary>What a job may not reach unless <see cref="Allowed"/> says so, each range once.</summary>
    public IEnumerable<IPNetwork> Blocked => Excluded.Concat(MetadataServices).Distinct();
}
