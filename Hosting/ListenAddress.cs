using System.Net;
using System.Net.Sockets;
using Corral.Configuration;

namespace Corral.Hosting;

/// <summary>The address a process's web host will listen on, checked before the process does anything else.</summary>
public static class ListenAddress
{
    /// <summary>
    /// Refuses an <paramref name="url"/> whose address and port another process already listens on, naming
    /// <paramref name="variable"/>. A host name or port 0 is left to the web host.
    /// </summary>
    /// <exception cref="InvalidSettingException">Something already listens there.</exception>
    public static void EnsureFree(string variable, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed)
            || parsed.Port == 0
            || !IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var address))
        {
            return;
        }

        try
        {
            using var listener = new TcpListener(address, parsed.Port);
            listener.Start();
        }
        catch (SocketException error) when (error.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new InvalidSettingException(variable, url, "another process already listens on that address and port");
        }
    }
}
