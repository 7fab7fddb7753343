namespace Corral.Files;

/// <summary>What a retention sweep removed of one job: how many files (inputs and results) and their bytes.</summary>
public sealed record RemovedJobFiles(string JobId, int Files, long Bytes);
