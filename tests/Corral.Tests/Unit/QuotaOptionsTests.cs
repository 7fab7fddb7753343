using System.Collections;
using Corral.Quotas;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class QuotaOptionsTests
{
    [Fact]
    public void LimitFor_ConfiguredService_MatchesCaseInsensitively()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_HADDOCK_RUNS_PER_USER"] = "3",
            ["SERVICE_MY_SVC_RUNS_PER_USER"] = "7",
            ["PATH"] = "/bin",
        });
        Assert.Equal(3, options.LimitFor("haddock"));
        Assert.Equal(3, options.LimitFor("HADDOCK"));
        Assert.Equal(7, options.LimitFor("my-svc"));
        Assert.Equal(QuotaOptions.DefaultLimit, options.LimitFor("example"));
        Assert.Equal(["haddock", "my_svc"], options.ConfiguredServices.Order());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("abc")]
    [InlineData("5.5")]
    [InlineData("")]
    [InlineData("99999999999")]
    public void FromEnvironment_BadLimit_NamesVariableAndValue(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            QuotaOptions.FromEnvironment(new Hashtable { ["SERVICE_EXAMPLE_RUNS_PER_USER"] = value }));
        Assert.Contains("SERVICE_EXAMPLE_RUNS_PER_USER", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void MaxDurationFor_UsesTheJobsOwn_ElseTheDefault_ElseTheCeiling_NeverAboveTheCeiling()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_CAPPED_MAX_DURATION_SECONDS"] = "3600",
            ["SERVICE_CAPPED_DEFAULT_DURATION_SECONDS"] = "600",
            ["SERVICE_CEILING_ONLY_MAX_DURATION_SECONDS"] = "900",
        });
        Assert.Equal(60, options.MaxDurationFor("capped", 60));
        Assert.Equal(3600, options.MaxDurationFor("capped", 7200));
        Assert.Equal(600, options.MaxDurationFor("capped", null));
        Assert.Equal(900, options.MaxDurationFor("ceiling-only", null));
        Assert.Null(options.MaxDurationFor("free", null));
        Assert.Equal(7200, options.MaxDurationFor("free", 7200));
    }

    [Fact]
    public void FromEnvironment_ADefaultDurationAboveTheCeiling_NamesBoth()
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_X_MAX_DURATION_SECONDS"] = "60",
            ["SERVICE_X_DEFAULT_DURATION_SECONDS"] = "120",
        }));
        Assert.Contains("SERVICE_X_DEFAULT_DURATION_SECONDS", error.Message);
        Assert.Contains("SERVICE_X_MAX_DURATION_SECONDS", error.Message);
    }

    [Fact]
    public void MaxRunsFor_IsTheServiceCap_OrUncapped()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_MY_SVC_MAX_RUNS"] = "10",
            ["SERVICE_OTHER_RUNS_PER_USER"] = "2",
        });
        Assert.Equal(10, options.MaxRunsFor("my-svc"));
        Assert.Null(options.MaxRunsFor("other"));
        Assert.Equal(5, options.LimitFor("my-svc"));
        Assert.Equal(["my_svc", "other"], options.ConfiguredServices.Order());
    }

    [Theory]
    [InlineData("SERVICE_EXAMPLE_MAX_RUNS", "0")]
    [InlineData("SERVICE_EXAMPLE_MAX_DURATION_SECONDS", "x")]
    [InlineData("SERVICE_EXAMPLE_DEFAULT_DURATION_SECONDS", "-3")]
    public void FromEnvironment_BadSchedulingSetting_NamesVariableAndValue(string name, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable { [name] = value }));
        Assert.Contains(name, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void FairShare_UsageAndAnHourByDefault_EachServiceMaySetItsOwn()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["FAIR_SHARE_HALF_LIFE_SECONDS"] = "600",
            ["SERVICE_FAST_DECAY_FAIR_SHARE_HALF_LIFE_SECONDS"] = "60",
            ["SERVICE_TURNS_FAIRNESS"] = "round_robin",
            ["SERVICE_WEIGHED_FAIRNESS"] = "Usage",
        });
        Assert.Equal(TimeSpan.FromSeconds(600), options.HalfLifeFor("other"));
        Assert.Equal(TimeSpan.FromSeconds(60), options.HalfLifeFor("fast-decay"));
        Assert.Equal(Corral.Scheduling.Fairness.RoundRobin, options.FairnessFor("turns"));
        Assert.Equal(Corral.Scheduling.Fairness.Usage, options.FairnessFor("weighed"));
        Assert.Equal(Corral.Scheduling.Fairness.Usage, options.FairnessFor("other"));
        Assert.Equal(QuotaOptions.DefaultHalfLife, QuotaOptions.FromEnvironment(new Hashtable()).HalfLifeFor("other"));
    }

    [Theory]
    [InlineData("SERVICE_EXAMPLE_FAIRNESS", "fair")]
    [InlineData("SERVICE_EXAMPLE_FAIRNESS", "")]
    [InlineData("FAIR_SHARE_HALF_LIFE_SECONDS", "0")]
    [InlineData("SERVICE_EXAMPLE_FAIR_SHARE_HALF_LIFE_SECONDS", "1h")]
    public void FromEnvironment_BadFairShareSetting_NamesVariableAndValue(string name, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable { [name] = value }));
        Assert.Contains(name, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void Budgets_AndBurst_PerService_UnsetIsNone()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_GPU_JOBS_MAX_RUNS"] = "8",
            ["SERVICE_GPU_JOBS_BURST_PER_USER"] = "2",
            ["SERVICE_GPU_JOBS_JOBS_PER_USER_PER_HOUR"] = "30",
            ["SERVICE_GPU_JOBS_CPU_SECONDS_PER_USER_PER_DAY"] = "3600",
            ["SERVICE_GPU_JOBS_GPU_SECONDS_PER_USER_PER_DAY"] = "7200",
            ["SERVICE_IDLE_BURST_PER_USER"] = "0",
            ["SERVICE_IDLE_MAX_RUNS"] = "2",
        });

        Assert.Equal(new Corral.Scheduling.UsageBudget(30, 3600, 7200), options.BudgetFor("gpu-jobs"));
        Assert.Equal(2, options.BurstFor("gpu-jobs"));
        Assert.Equal(0, options.BurstFor("idle"));
        Assert.True(options.BudgetFor("other").IsNone);
        Assert.Equal(0, options.BurstFor("other"));
        // The budget variables are not read as run limits.
        Assert.Equal(QuotaOptions.DefaultLimit, options.LimitFor("gpu-jobs"));
    }

    [Theory]
    [InlineData("SERVICE_EXAMPLE_JOBS_PER_USER_PER_HOUR", "0")]
    [InlineData("SERVICE_EXAMPLE_CPU_SECONDS_PER_USER_PER_DAY", "1h")]
    [InlineData("SERVICE_EXAMPLE_GPU_SECONDS_PER_USER_PER_DAY", "-5")]
    [InlineData("SERVICE_EXAMPLE_CPU_SECONDS_PER_USER_PER_DAY", "99999999999")]
    [InlineData("SERVICE_EXAMPLE_BURST_PER_USER", "-1")]
    public void FromEnvironment_BadBudgetOrBurst_NamesVariableAndValue(string name, string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable
        {
            [name] = value,
            ["SERVICE_EXAMPLE_MAX_RUNS"] = "4",
        }));
        Assert.Contains(name, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void PreemptionGrace_PerService_NoneUnlessSet()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_TRAINING_PREEMPTION"] = "true",
            ["SERVICE_TRAINING_PREEMPTION_GRACE_SECONDS"] = "120",
            ["SERVICE_QUICK_PREEMPTION_GRACE_SECONDS"] = "0",
        });

        Assert.Equal(TimeSpan.FromMinutes(2), options.PreemptionGraceFor("training"));
        Assert.True(options.PreemptionFor("training"));
        Assert.Equal(TimeSpan.Zero, options.PreemptionGraceFor("quick"));
        Assert.Equal(TimeSpan.Zero, options.PreemptionGraceFor("other"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("30s")]
    [InlineData("3601")]
    public void FromEnvironment_BadPreemptionGrace_NamesVariableAndValue(string value)
    {
        const string name = "SERVICE_EXAMPLE_PREEMPTION_GRACE_SECONDS";
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable { [name] = value }));
        Assert.Contains(name, error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void FromEnvironment_BurstOnAnUncappedService_NamesBothVariables()
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_EXAMPLE_BURST_PER_USER"] = "2",
        }));
        Assert.Contains("SERVICE_EXAMPLE_BURST_PER_USER", error.Message);
        Assert.Contains("SERVICE_EXAMPLE_MAX_RUNS", error.Message);
    }

    [Fact]
    public void FromEnvironment_Preemption_IsOffUnlessSetTrue()
    {
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_GPU_BATCH_MAX_RUNS"] = "4",
            ["SERVICE_GPU_BATCH_PREEMPTION"] = "TRUE",
            ["SERVICE_CPU_MAX_RUNS"] = "4",
            ["SERVICE_CPU_PREEMPTION"] = "false",
            ["SERVICE_OTHER_PREEMPTION"] = "false",
        });
        Assert.True(options.PreemptionFor("gpu-batch"));
        Assert.False(options.PreemptionFor("cpu"));
        Assert.False(options.PreemptionFor("other"));
        Assert.False(options.PreemptionFor("unset"));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("")]
    public void FromEnvironment_BadPreemptionSwitch_NamesVariableAndValue(string value)
    {
        var error = Assert.Throws<InvalidOperationException>(() => QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_EXAMPLE_MAX_RUNS"] = "2",
            ["SERVICE_EXAMPLE_PREEMPTION"] = value,
        }));
        Assert.Contains("SERVICE_EXAMPLE_PREEMPTION", error.Message);
        Assert.Contains($"'{value}'", error.Message);
    }

    [Fact]
    public void FromEnvironment_PreemptionOnAServiceWithoutACap_IsAccepted()
    {
        // Without a cap, a high job may only take the place of its own user's lower one (each user's quota admits).
        var options = QuotaOptions.FromEnvironment(new Hashtable
        {
            ["SERVICE_EXAMPLE_PREEMPTION"] = "true",
        });
        Assert.True(options.PreemptionFor("example"));
        Assert.Null(options.MaxRunsFor("example"));
    }
}
