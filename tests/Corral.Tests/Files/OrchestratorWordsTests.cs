using Corral.Configuration;
using Corral.Gateway.Orchestrator;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>job-orchestrator's words for Corral's statuses, and the services its /upload accepts.</summary>
public sealed class OrchestratorWordsTests
{
    [Theory]
    [InlineData(JobStatus.Queued, "Queued")]
    [InlineData(JobStatus.Pending, "Processing")]
    [InlineData(JobStatus.Starting, "Submitted")]
    [InlineData(JobStatus.Running, "Running")]
    [InlineData(JobStatus.Succeeded, "Completed")]
    [InlineData(JobStatus.Failed, "Failed")]
    [InlineData(JobStatus.Cancelled, "Killed")]
    public void EveryStatus_HasJobOrchestratorsWord(JobStatus status, string word) =>
        Assert.Equal(word, OrchestratorStatus.Of(status));

    [Fact]
    public void DeclaredServices_AreThoseWithARunLimit_MatchedAsTheQuotaMatchesThem()
    {
        var services = DeclaredServices.Read(new SettingsReader(new Dictionary<string, string>
        {
            ["SERVICE_EXAMPLE_RUNS_PER_USER"] = "5",
            ["SERVICE_HEAVY_SIM_RUNS_PER_USER"] = "2",
            ["SERVICE_URL"] = "not a limit",
        }));

        Assert.True(services.Allows("example"));
        Assert.True(services.Allows("Example"));
        Assert.True(services.Allows("heavy-sim"));
        Assert.False(services.Allows("url"));
        Assert.False(services.Allows("haddock"));
    }

    [Fact]
    public void WithNoServiceDeclared_AnyServiceGoes() =>
        Assert.True(DeclaredServices.Read(new SettingsReader(new Dictionary<string, string>())).Allows("anything"));
}
