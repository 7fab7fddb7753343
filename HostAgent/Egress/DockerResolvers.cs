using System.Net;

namespace Corral.HostAgent.Egress;

/// <summary>
/// The resolvers Docker writes into the <c>resolv.conf</c> of a container on its default bridge: the host's
/// nameservers without the loopback ones (systemd-resolved's upstream list when the host's only resolver is its stub),
/// or Google's public resolvers when none is left. An engine started with its own <c>dns</c> setting hands out those
/// instead; then JOB_DNS_SERVERS must name them.
/// </summary>
public static class DockerResolvers
{
    private const string HostResolvConf = "/etc/resolv.conf";
    private const string SystemdResolvedUpstream = "/run/systemd/resolve/resolv.conf";

    private static readonly IPAddress[] Fallback =
    [
        IPAddress.Parse("8.8.8.8"), IPAddress.Parse("8.8.4.4"),
        IPAddress.Parse("2001:4860:4860::8888"), IPAddress.Parse("2001:4860:4860::8844"),
    ];

    public static IReadOnlyList<IPAddress> Read()
    {
        var servers = Nameservers(HostResolvConf);
        if (servers.Count > 0 && servers.All(IPAddress.IsLoopback) && File.Exists(SystemdResolvedUpstream))
        {
            servers = Nameservers(SystemdResolvedUpstream);
        }

        var usable = servers.Where(s => !IPAddress.IsLoopback(s)).ToList();
        return usable.Count > 0 ? usable : Fallback;
    }

    /// <summary>The <c>nameserver</c> lines of a resolv.conf; pure but for reading the file.</summary>
    public static List<IPAddress> Parse(string resolvConf) =>
        [.. resolvConf.Split('\n')
            .Select(line => line.Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length >= 2 && words[0] == "nameserver")
            // A scoped IPv6 address (fe80::1%eth0) means nothing inside a container; Docker drops it too.
            .Select(words => IPAddress.TryParse(words[1], out var address) && !words[1].Contains('%', StringComparison.Ordinal) ? address : null)
            .OfType<IPAddress>()];

    private static List<IPAddress> Nameservers(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : [];
}
