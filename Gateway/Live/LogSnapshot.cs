using Corral.Gateway.Jobs;

namespace Corral.Gateway.Live;

/// <summary>
/// A page of a job's stored output for a live client (<see cref="LogPage"/>): the text from byte <c>FirstOffset</c>
/// of chunk <c>FirstSeq</c> on, up to <see cref="JobLogReader.PageBytes"/>; live chunks continue from
/// <c>LastSeq</c> + 1; <c>HasEarlier</c>: call readLogsBefore(jobId, FirstSeq, FirstOffset) for the page before.
/// </summary>
public sealed record LogSnapshot(string JobId, long FirstSeq, int FirstOffset, long LastSeq, string Text, bool HasEarlier)
{
    public static LogSnapshot Of(string jobId, LogPage page) =>
        new(jobId, page.FirstSeq, page.FirstOffset, page.LastSeq, page.Text, page.HasEarlier);
}
