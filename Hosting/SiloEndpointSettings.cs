using System.Net;

namespace Corral.Configuration;

/// <summary>Where a silo listens: CORRAL_SILO_ADDRESS, CORRAL_SILO_PORT and CORRAL_GATEWAY_PORT (0 = no client gateway).</summary>
public sealed record SiloEndpointSettings(IPAddress Address, int SiloPort, int GatewayPort)
{
    public static SiloEndpointSettings Read(SettingsReader settings, int defaultSiloPort, int defaultGatewayPort)
    {
        var raw = settings.GetString("CORRAL_SILO_ADDRESS", "127.0.0.1");
        if (!IPAddress.TryParse(raw, out var address))
        {
            throw new InvalidSettingException("CORRAL_SILO_ADDRESS", raw, "it must be an IP address");
        }

        return new SiloEndpointSettings(
            address,
            settings.GetInt("CORRAL_SILO_PORT", defaultSiloPort, 1),
            settings.GetInt("CORRAL_GATEWAY_PORT", defaultGatewayPort, 0));
    }
}
