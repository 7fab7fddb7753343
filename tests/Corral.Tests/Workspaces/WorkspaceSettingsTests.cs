using System.Collections;
using Corral.Configuration;
using Corral.HostAgent;
using Xunit;

namespace Corral.Tests.Workspaces;

/// <summary>JOB_WORK_MAX_BYTES and JOB_WORK_DIR: defaults, units, and refusals that name the variable.</summary>
public sealed class WorkspaceSettingsTests
{
    [Fact]
    public void NothingSet_TenGiB_UnderTheOutputDirectory()
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable { ["CORRAL_WORKER_NAME"] = "w1" }));

        Assert.Equal(10L << 30, settings.JobWorkMaxBytes);
        Assert.Equal("/var/lib/corral/job-output/w1/work", settings.JobWorkDirectory);
    }

    [Fact]
    public void Set_TakesUnitsAndAnAbsolutePath()
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable
        {
            ["JOB_WORK_MAX_BYTES"] = "1.5Gi",
            ["JOB_WORK_DIR"] = "/srv/corral/work",
        }));

        Assert.Equal(1_610_612_736L, settings.JobWorkMaxBytes);
        Assert.Equal("/srv/corral/work", settings.JobWorkDirectory);
    }

    [Theory]
    [InlineData("JOB_WORK_MAX_BYTES", "lots")]
    [InlineData("JOB_WORK_MAX_BYTES", "0")]
    [InlineData("JOB_WORK_DIR", "relative/work")]
    public void ABadValue_StopsTheAgent_NamingTheVariable(string name, string value)
    {
        var error = Assert.Throws<InvalidSettingException>(() => HostAgentSettings.Read(new SettingsReader(new Hashtable { [name] = value })));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }
}
