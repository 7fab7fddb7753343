using System.Collections;
using Corral.Configuration;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class SettingsReaderTests
{
    [Theory]
    [InlineData(null, 7L)]
    [InlineData("12", 12L)]
    [InlineData(" 3 ", 3L)]
    public void GetLong_ReadsAWholeNumber_OrTheDefault(string? raw, long expected) =>
        Assert.Equal(expected, Reader("N", raw).GetLong("N", 7, 1));

    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    [InlineData("ten")]
    [InlineData("1.5")]
    public void GetLong_RefusesWhatIsNotAWholeNumberInRange_NamingTheVariableAndValue(string raw)
    {
        var error = Assert.Throws<InvalidSettingException>(() => Reader("CORRAL_N", raw).GetLong("CORRAL_N", 7, 1));

        Assert.Equal("CORRAL_N", error.Variable);
        Assert.Contains($"CORRAL_N='{raw}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetRequiredString_NamesTheMissingVariable()
    {
        var error = Assert.Throws<InvalidSettingException>(() => Reader("OTHER", "x").GetRequiredString("CORRAL_POSTGRES"));

        Assert.Contains("CORRAL_POSTGRES", error.Message, StringComparison.Ordinal);
        Assert.Contains("required", error.Message, StringComparison.Ordinal);
    }

    private static SettingsReader Reader(string name, string? value)
    {
        IDictionary environment = new Hashtable();
        if (value is not null)
        {
            environment[name] = value;
        }

        return new SettingsReader(environment);
    }
}
