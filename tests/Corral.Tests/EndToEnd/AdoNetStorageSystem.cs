using Corral.Storage;
using Xunit;

namespace Corral.Tests.EndToEnd;

/// <summary>The whole system with the per-job grains on Orleans' ADO.NET store: CORRAL_GRAIN_STORAGE=adonet.</summary>
public sealed class AdoNetStorageSystem : CorralSystem
{
    public override Task InitializeAsync()
    {
        SetSystemVariable(GrainStorageSetup.Setting, GrainStorageSetup.AdoNet);
        return base.InitializeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AdoNetStorageCollection : ICollectionFixture<AdoNetStorageSystem>
{
    public const string Name = "running system on the ADO.NET grain store";
}
