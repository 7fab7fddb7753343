using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Corral.HostAgent.Egress;

/// <summary>
/// Names of the chains the egress meter owns. A job's chain is <c>CORRAL-</c> and the first 20 hex digits of its
/// id (27 characters; iptables allows 28; its guard chain adds a <c>G</c>), so a chain found after a restart tells which job it belongs to.
/// </summary>
public static partial class EgressChainName
{
    /// <summary>The chain every job's jump lives in; reached from DOCKER-USER (or FORWARD where there is none).</summary>
    public const string Entry = "CORRAL-EGRESS";

    /// <summary>The chain, reached first from INPUT, that holds one rule per job refusing its connections to the host.</summary>
    public const string ToHost = "CORRAL-TO-HOST";

    private const string JobPrefix = "CORRAL-";
    private const int HexDigits = 20;

    public static string ForJob(string jobId)
    {
        var id = jobId.ToLowerInvariant();
        // Job ids are 32 hex digits; anything else is hashed, so every id still maps to a valid, stable name.
        var hex = id.Length >= HexDigits && id[..HexDigits].All(char.IsAsciiHexDigitLower)
            ? id[..HexDigits]
            : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)))[..HexDigits];
        return JobPrefix + hex;
    }

    /// <summary>A job's guard chain: its chain's name and <c>G</c> (28 characters, the most iptables allows).</summary>
    public static string GuardFor(string jobChain) => jobChain + "G";

    public static bool IsJobChain(string name) => JobChain().IsMatch(name);

    [GeneratedRegex("^CORRAL-[0-9a-f]{20}$")]
    private static partial Regex JobChain();
}
