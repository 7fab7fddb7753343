using Corral.Gateway.Jobs;

namespace Corral.Gateway.Live;

/// <summary>
/// A page of a job's stored output for a live client: whole chunks <c>FirstSeq</c>..<c>LastSeq</c> (both -1 when
/// there are none) and whether older chunks exist. Live chunks continue from <c>LastSeq</c> + 1.
/// </summary>
public sealed record LogSnapshot(string JobId, long FirstSeq, long LastSeq, string Text, bool HasEarlier)
{
    public static LogSnapshot Of(string jobId, LogPage page) => new(jobId, page.FirstSeq, page.LastSeq, page.Text, page.HasEarlier);
}
