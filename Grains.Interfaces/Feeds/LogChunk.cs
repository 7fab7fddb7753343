namespace Corral.Feeds;

/// <summary>A piece of a job's stored output, numbered like its row in the log store so readers can de-duplicate.</summary>
[GenerateSerializer, Immutable, Alias("corral.log-chunk")]
public sealed record LogChunk(
    [property: Id(0)] string JobId,
    [property: Id(1)] long Seq,
    [property: Id(2)] string Text);
