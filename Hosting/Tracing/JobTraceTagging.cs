using System.Diagnostics;
using Corral.Jobs;

namespace Corral.Hosting.Tracing;

/// <summary>
/// Tags the span of every grain call that belongs to one job with the job's id (<see cref="Tag"/>), so that an
/// operator finds a job's whole trace, from the gateway's submit through the job grain to the host grain's start,
/// by that id. A call to a job grain belongs to its key; a call to a host grain to the job it names; any other call
/// to the job whose call made it, carried along in the request context.
/// </summary>
/// <remarks>
/// Registered after Orleans' activity propagation, so <see cref="Activity.Current"/> here is the call's own span.
/// Only where traces are exported (<see cref="CorralHostDefaults.ExportsTraces"/>): otherwise nobody reads the tag.
/// </remarks>
public sealed class JobTraceTagging : IIncomingGrainCallFilter, IOutgoingGrainCallFilter
{
    public const string Tag = "corral.job_id";

    public Task Invoke(IIncomingGrainCallContext context)
    {
        TagCall(context);
        return context.Invoke();
    }

    /// <remarks>
    /// Async so that the job id set in the request context for this call does not stay in the caller's context
    /// for its later calls about other jobs.
    /// </remarks>
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        TagCall(context);
        await context.Invoke();
    }

    private static void TagCall(IGrainCallContext context)
    {
        if ((JobIdOf(context) ?? RequestContext.Get(Tag) as string) is not { } jobId)
        {
            return;
        }

        RequestContext.Set(Tag, jobId);
        Activity.Current?.SetTag(Tag, jobId);
    }

    private static string? JobIdOf(IGrainCallContext context)
    {
        var request = context.Request;
        var target = request.GetInterfaceType();
        if (target == typeof(IJobGrain))
        {
            return context.TargetId.Key.ToString();
        }

        if (target == typeof(IHostGrain) && request.GetArgumentCount() > 0)
        {
            return request.GetArgument(0) switch
            {
                JobLaunch launch => launch.JobId,
                string jobId => jobId,
                _ => null,
            };
        }

        return null;
    }
}
