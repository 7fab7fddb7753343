namespace Corral.Reconciling;

/// <summary>Finds, in grain storage, the grains whose state says they still have work to finish.</summary>
public interface IActiveGrainIndex
{
    /// <summary>
    /// Up to <paramref name="limit"/> grains with state <paramref name="stateName"/> that need reconciling and
    /// whose state was not written for <paramref name="quietFor"/>, in id order after <paramref name="after"/>.
    /// </summary>
    Task<IReadOnlyList<GrainId>> ListQuietAsync(string stateName, TimeSpan quietFor, GrainId? after, int limit);
}
