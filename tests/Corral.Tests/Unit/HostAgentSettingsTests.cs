using System.Collections;
using Corral.Configuration;
using Corral.HostAgent;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class HostAgentSettingsTests
{
    [Fact]
    public void Read_NothingSet_UsesDocumentedDefaults()
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable()));
        Assert.Equal(52_428_800, settings.LogQuotaPerJobHour);
        Assert.Equal(0, settings.DataTransferQuotaPerJob);
        Assert.Equal(6, settings.DataTransferExcludedCidrs.Count);
        Assert.Null(settings.SshCaps.MaxCpu);
        Assert.False(settings.EnableSshGpuLimit);
        Assert.Null(settings.JobCgroupParent);
        Assert.True(settings.JobReadOnlyRootfs);
        Assert.Equal(4 * 52_428_800L, settings.JobOutputMaxBytesPerHour);
    }

    [Theory]
    [InlineData("0", "20000", 0L)]
    [InlineData("", "20000", 80_000L)]
    [InlineData("", "0", 0L)]
    [InlineData("1Mi", "0", 1L << 20)]
    [InlineData("20000", "20000", 20_000L)]
    public void Read_OutputBound_DefaultsToFourLogQuotas_AndZeroTurnsItOff(string bound, string logQuota, long expected)
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable
        {
            ["JOB_OUTPUT_MAX_BYTES_PER_HOUR"] = bound,
            ["LOG_QUOTA_PER_JOB_HOUR"] = logQuota,
        }));
        Assert.Equal(expected, settings.JobOutputMaxBytesPerHour);
    }

    [Fact]
    public void Read_OutputBoundBelowTheLogQuota_NamesTheVariable()
    {
        var error = Assert.Throws<InvalidSettingException>(() => HostAgentSettings.Read(new SettingsReader(new Hashtable
        {
            ["JOB_OUTPUT_MAX_BYTES_PER_HOUR"] = "19999",
            ["LOG_QUOTA_PER_JOB_HOUR"] = "20000",
        })));
        Assert.Equal("JOB_OUTPUT_MAX_BYTES_PER_HOUR", error.Variable);
        Assert.Contains("LOG_QUOTA_PER_JOB_HOUR", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ReadOnlyRootfs_CanBeTurnedOff()
    {
        Assert.False(HostAgentSettings.Read(new SettingsReader(new Hashtable { ["JOB_READONLY_ROOTFS"] = "false" })).JobReadOnlyRootfs);
    }

    [Theory]
    [InlineData("/corral-jobs")]
    [InlineData("/corral/jobs")]
    [InlineData("/system.slice/corral-jobs")]
    [InlineData("corral-jobs.slice")]
    public void Read_JobCgroupParent_TakesAnAbsoluteCgroupPathOrASystemdSlice(string value)
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable { ["CORRAL_JOB_CGROUP_PARENT"] = value }));
        Assert.Equal(value, settings.JobCgroupParent);
    }

    [Fact]
    public void Read_SshCaps_AreParsedWithUnits()
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable
        {
            ["SSH_MAX_CPU"] = "1.5",
            ["SSH_MAX_MEMORY"] = "512Mi",
            ["SSH_MAX_PIDS"] = "256",
        }));
        Assert.Equal(1.5, settings.SshCaps.MaxCpu);
        Assert.Equal(536_870_912L, settings.SshCaps.MaxMemoryBytes);
        Assert.Equal(256, settings.SshCaps.MaxPids);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("auto", null)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    public void Read_SshUseLxcfs_IsOnWhenAvailableUnlessSet(string? value, bool? expected)
    {
        var environment = new Hashtable();
        if (value is not null)
        {
            environment["SSH_USE_LXCFS"] = value;
        }

        Assert.Equal(expected, HostAgentSettings.Read(new SettingsReader(environment)).SshUseLxcfs);
    }

    [Fact]
    public void Read_InjectedGpus_AreKeptForTheProbe()
    {
        var settings = HostAgentSettings.Read(new SettingsReader(new Hashtable
        {
            ["CORRAL_GPU_DEVICES"] = "0, GPU-a, NVIDIA H100 80GB HBM3, 81559;1, GPU-b, NVIDIA GH200 480GB, [N/A]",
            ["ENABLE_SSH_GPU_LIMIT"] = "true",
        }));
        Assert.True(settings.EnableSshGpuLimit);
        Assert.StartsWith("0, GPU-a", settings.InjectedGpus);
    }

    [Theory]
    [InlineData("LOG_QUOTA_PER_JOB_HOUR", "-1")]
    [InlineData("LOG_QUOTA_PER_JOB_HOUR", "50MB")]
    [InlineData("DATA_TRANSFER_QUOTA_PER_JOB", "-5")]
    [InlineData("DATA_TRANSFER_QUOTA_PER_JOB", "1e9")]
    [InlineData("DATA_TRANSFER_EXCLUDED_CIDRS", "10.0.0.0/33")]
    [InlineData("DATA_TRANSFER_EXCLUDED_CIDRS", "not-a-cidr")]
    [InlineData("SSH_MAX_CPU", "0")]
    [InlineData("SSH_MAX_CPU", "0.001")]
    [InlineData("SSH_MAX_CPU", "-2")]
    [InlineData("SSH_MAX_CPU", "many")]
    [InlineData("SSH_MAX_MEMORY", "12XB")]
    [InlineData("SSH_MAX_MEMORY", "-1G")]
    [InlineData("SSH_MAX_PIDS", "0")]
    [InlineData("ENABLE_SSH_GPU_LIMIT", "maybe")]
    [InlineData("SSH_USE_LXCFS", "sometimes")]
    [InlineData("CORRAL_GPU_DEVICES", "0, GPU-a, NVIDIA H100")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "corral-jobs")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "corral/jobs")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "/")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "/corral/../jobs")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "/corral//jobs")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "/corral jobs")]
    [InlineData("CORRAL_JOB_CGROUP_PARENT", "-jobs.slice")]
    [InlineData("JOB_OUTPUT_MAX_BYTES_PER_HOUR", "-1")]
    [InlineData("JOB_OUTPUT_MAX_BYTES_PER_HOUR", "lots")]
    [InlineData("JOB_READONLY_ROOTFS", "mostly")]
    [InlineData("JOB_IMAGES", "Not An Image")]
    public void Read_BadValue_NamesTheVariable(string variable, string value)
    {
        var error = Assert.Throws<InvalidSettingException>(() =>
            HostAgentSettings.Read(new SettingsReader(new Hashtable { [variable] = value })));
        Assert.Equal(variable, error.Variable);
        Assert.Contains($"'{value}'", error.Message);
    }
}
