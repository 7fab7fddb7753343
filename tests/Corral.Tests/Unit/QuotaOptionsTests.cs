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
}
