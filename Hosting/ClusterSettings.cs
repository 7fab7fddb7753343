using Orleans.Configuration;

namespace Corral.Configuration;

/// <summary>How a process finds the cluster: the PostgreSQL database and the Orleans cluster identity.</summary>
public sealed record ClusterSettings(string PostgresConnectionString, string ClusterId, string ServiceId)
{
    /// <summary>The ADO.NET invariant every Orleans provider is set to (persistence would default to SQL Server).</summary>
    public const string AdoInvariant = "Npgsql";

    public static ClusterSettings Read(SettingsReader settings) => new(
        settings.GetRequiredString("CORRAL_POSTGRES"),
        settings.GetString("CORRAL_CLUSTER_ID", "corral"),
        settings.GetString("CORRAL_SERVICE_ID", "corral"));

    public void ApplyTo(ClusterOptions options)
    {
        options.ClusterId = ClusterId;
        options.ServiceId = ServiceId;
    }
}
