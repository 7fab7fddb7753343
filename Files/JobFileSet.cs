namespace Corral.Files;

/// <summary>Which of a job's two file sets: what it was given, or what its working directory held when it ended.</summary>
public enum JobFileSet : short
{
    Inputs = 0,
    Results = 1,
}
