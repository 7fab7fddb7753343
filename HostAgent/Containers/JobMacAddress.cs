using System.Security.Cryptography;
using System.Text;

namespace Corral.HostAgent.Containers;

/// <summary>
/// The MAC address a job's container gets on the bridge, derived from the job id. Known before the container
/// exists, unlike its IP addresses (Docker assigns those at start), so the egress rules that match it are in place
/// before the container sends its first packet. Jobs run without CAP_NET_ADMIN or CAP_NET_RAW, so they cannot
/// change it or forge another.
/// </summary>
public static class JobMacAddress
{
    public static string For(string jobId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(jobId));
        // 0x06: locally administered and unicast, and never the 02:42 prefix Docker gives its own containers.
        return string.Join(':', new[] { (byte)0x06 }.Concat(hash.Take(5)).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
    }
}
