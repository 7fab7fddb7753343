using System.Net;

namespace Corral.Configuration;

/// <summary>
/// Where a silo is reached and where it listens. CORRAL_SILO_ADDRESS is the address other silos and clients are told
/// (the one in the membership table); CORRAL_SILO_BIND_ADDRESS, when the host reaches the network through a
/// translated address (NAT, a container's bridge), is the local address its sockets bind to instead. Ports:
/// CORRAL_SILO_PORT and CORRAL_GATEWAY_PORT (0 = no client gateway).
/// </summary>
public sealed record SiloEndpointSettings(IPAddress Address, int SiloPort, int GatewayPort, IPAddress? BindAddress = null)
{
    /// <summary>The address the silo's sockets bind to: <see cref="BindAddress"/> when set, else the advertised one.</summary>
    public IPAddress ListenAddress => BindAddress ?? Address;

    public static SiloEndpointSettings Read(SettingsReader settings, int defaultSiloPort, int defaultGatewayPort) => new(
        ReadAddress(settings, "CORRAL_SILO_ADDRESS", "127.0.0.1")!,
        settings.GetInt("CORRAL_SILO_PORT", defaultSiloPort, 1),
        settings.GetInt("CORRAL_GATEWAY_PORT", defaultGatewayPort, 0),
        ReadAddress(settings, "CORRAL_SILO_BIND_ADDRESS", null));

    private static IPAddress? ReadAddress(SettingsReader settings, string name, string? fallback)
    {
        var raw = settings.GetString(name) ?? fallback;
        if (raw is null)
        {
            return null;
        }

        return IPAddress.TryParse(raw, out var address)
            ? address
            : throw new InvalidSettingException(name, raw, "it must be an IP address");
    }
}
