namespace Corral.Reconciling;

/// <summary>
/// Grain state that says whether its grain still has work to finish. The store keeps that flag beside the state,
/// so the reconciler can find unfinished grains after a crash without a reminder per grain.
/// </summary>
public interface IReconciledState
{
    bool NeedsReconciling { get; }
}
