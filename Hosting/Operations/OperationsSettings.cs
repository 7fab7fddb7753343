using Corral.Configuration;

namespace Corral.Hosting.Operations;

/// <summary>
/// Where a silo or host agent serves its operations endpoints (<c>/healthz/live</c>, <c>/healthz/ready</c>,
/// <c>/metrics</c>): CORRAL_OPS_URL, e.g. <c>http://10.0.0.5:9101</c>. Unset, a loopback port of the kernel's
/// choosing, written to the log at start: the endpoints exist, but nothing off the host can reach them, and two
/// processes on one host never collide. The gateway serves them on its own URL as well.
/// </summary>
public sealed record OperationsSettings(string Url)
{
    public const string Variable = "CORRAL_OPS_URL";

    public const string LoopbackAnyPort = "http://127.0.0.1:0";

    public static OperationsSettings Read(SettingsReader settings)
    {
        var url = settings.GetString(Variable) ?? LoopbackAnyPort;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttp || parsed.AbsolutePath != "/")
        {
            throw new InvalidSettingException(Variable, url, "it must be an http URL with a host and port and no path, e.g. http://127.0.0.1:9101");
        }

        // Before the process joins the cluster: found only when the web host binds, after a host agent has registered
        // its worker, the worker would appear and be lost at once.
        ListenAddress.EnsureFree(Variable, url);
        return new OperationsSettings(url.TrimEnd('/'));
    }
}
