namespace Corral.Jobs;

public enum JobKind
{
    Batch,
    Ssh,
}
