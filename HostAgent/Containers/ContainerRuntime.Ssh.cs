using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace Corral.HostAgent.Containers;

/// <summary>What an SSH session needs from the engine: where Docker published its port, and when it answers.</summary>
public sealed partial class ContainerRuntime
{
    private static readonly TimeSpan GreetingAttempt = TimeSpan.FromSeconds(3);

    /// <summary>The host port Docker picked for a published container port (e.g. "2222/tcp").</summary>
    public async Task<int> GetPublishedPortAsync(string containerId, string portKey, CancellationToken cancellationToken)
    {
        var inspected = await docker.Containers.InspectContainerAsync(containerId, cancellationToken);
        var bindings = inspected.NetworkSettings?.Ports is { } ports && ports.TryGetValue(portKey, out var found) ? found : null;
        foreach (var binding in bindings ?? [])
        {
            if (int.TryParse(binding.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port > 0)
            {
                return port;
            }
        }

        throw new InvalidOperationException($"Docker published no host port for {portKey} of container {containerId}");
    }

    /// <summary>
    /// Waits until an SSH server greets on host:port ("SSH-2.0-..."), so a session reported running takes logins.
    /// Docker's proxy accepts connections before the server inside listens, hence the greeting, not the connect.
    /// False when it did not greet within <paramref name="timeout"/>.
    /// </summary>
    public static async Task<bool> WaitForSshGreetingAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var buffer = new byte[64];
        while (true)
        {
            try
            {
                // Each attempt gets a few seconds, not the whole wait: a connection Docker's proxy accepted while
                // the server was not up yet can hang, and the next one would be answered.
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
                attempt.CancelAfter(GreetingAttempt);
                using var client = new TcpClient();
                await client.ConnectAsync(host, port, attempt.Token);
                var stream = client.GetStream();
                var read = await stream.ReadAsync(buffer, attempt.Token);
                if (read >= 4 && Encoding.ASCII.GetString(buffer, 0, 4) == "SSH-")
                {
                    return true;
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return false;
            }
            catch (OperationCanceledException) when (!deadline.IsCancellationRequested)
            {
                // This attempt hung; try a fresh connection.
            }
            catch (Exception error) when (error is SocketException or IOException)
            {
                // Not listening yet.
            }

            try
            {
                await Task.Delay(100, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }
}
