namespace Corral.Hosting.Tracing;

/// <summary>Adds <see cref="JobTraceTagging"/> to a silo or a client, after Orleans' activity propagation.</summary>
public static class JobTraceTaggingExtensions
{
    public static ISiloBuilder AddJobTraceTags(this ISiloBuilder silo) =>
        silo.AddIncomingGrainCallFilter<JobTraceTagging>().AddOutgoingGrainCallFilter<JobTraceTagging>();

    public static IClientBuilder AddJobTraceTags(this IClientBuilder client) =>
        client.AddOutgoingGrainCallFilter<JobTraceTagging>();
}
