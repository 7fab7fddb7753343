using Corral.Storage;

namespace Corral.Tests.Grains;

/// <summary>The PostgreSQL-backed cluster with the per-job grains on Orleans' ADO.NET store (CORRAL_GRAIN_STORAGE=adonet).</summary>
public sealed class AdoNetClusterFixture() : PostgresClusterFixture(GrainStorageSetup.AdoNet);
