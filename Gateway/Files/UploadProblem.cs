namespace Corral.Gateway.Files;

/// <summary>Why an upload was refused: the status to answer and the field (or setting) it names.</summary>
public sealed record UploadProblem(int Status, string Field, string Message);
