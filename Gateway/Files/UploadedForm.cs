using Corral.Files;

namespace Corral.Gateway.Files;

/// <summary>A multipart body read to its end: its plain fields (first value of each) and the files stored as inputs.</summary>
public sealed record UploadedForm(IReadOnlyDictionary<string, string> Fields, IReadOnlyList<StoredFile> Files, UploadProblem? Problem)
{
    public static UploadedForm Refused(UploadProblem problem) => new(new Dictionary<string, string>(), [], problem);
}
