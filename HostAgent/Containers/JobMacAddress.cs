using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Corral.HostAgent.Containers;

/// <summary>
/// The MAC address a job's container gets on the bridge: 40 bits of HMAC-SHA256(host key, job id). Known before the
/// container exists, unlike its IP addresses (Docker assigns those at start), so the egress rules that match it are
/// in place before the container sends its first packet. Jobs run without CAP_NET_ADMIN or CAP_NET_RAW, so they
/// cannot change it or forge another.
/// </summary>
/// <remarks>
/// Users choose job ids (through Idempotency-Key), so a plain hash of the id would let one aim at another job's MAC
/// and at the egress rules that match it. The host key (<see cref="JobMacKey"/>) is secret and kept across restarts,
/// so MACs cannot be predicted and an adopted container still has the MAC its chains match. It is held here, once per
/// process, because the spec builder and the egress meter must derive the same address.
/// </remarks>
public static class JobMacAddress
{
    /// <summary>Locally administered and unicast, and never the 02:42 prefix Docker gives its own containers.</summary>
    public const byte FirstOctet = 0x06;

    // Until the agent installs the key it keeps on disk: a random one, so an address is never derived without a secret.
    private static byte[] _hostKey = RandomNumberGenerator.GetBytes(JobMacKey.Length);

    /// <summary>Installs this host's key; the agent does it at start, before any container is created or adopted.</summary>
    public static void UseHostKey(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < JobMacKey.Length)
        {
            throw new ArgumentException($"the MAC key must be at least {JobMacKey.Length} bytes", nameof(key));
        }

        Volatile.Write(ref _hostKey, key.ToArray());
    }

    /// <summary>The job's MAC address under this host's key.</summary>
    public static string For(string jobId) => For(jobId, Volatile.Read(ref _hostKey));

    /// <summary>The job's MAC address under <paramref name="key"/>.</summary>
    public static string For(string jobId, byte[] key)
    {
        var hash = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(jobId));
        return string.Join(':', new[] { FirstOctet }.Concat(hash.Take(5)).Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
