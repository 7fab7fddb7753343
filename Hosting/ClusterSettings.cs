using Orleans.Configuration;

namespace Corral.Configuration;

/// <summary>
/// How a process finds the cluster: the PostgreSQL database, the Orleans cluster identity, and TLS on the cluster's
/// connections when configured.
/// </summary>
public sealed record ClusterSettings(string PostgresConnectionString, string ClusterId, string ServiceId, Corral.Hosting.ClusterTls? Tls = null)
{
    /// <summary>The ADO.NET invariant every Orleans provider is set to (persistence would default to SQL Server).</summary>
    public const string AdoInvariant = "Npgsql";

    public static ClusterSettings Read(SettingsReader settings) => new(
        settings.GetRequiredString("CORRAL_POSTGRES"),
        settings.GetString("CORRAL_CLUSTER_ID", "corral"),
        settings.GetString("CORRAL_SERVICE_ID", "corral"),
        Corral.Hosting.ClusterTls.Read(settings));

    public void ApplyTo(ClusterOptions options)
    {
        options.ClusterId = ClusterId;
        options.ServiceId = ServiceId;
    }
}
