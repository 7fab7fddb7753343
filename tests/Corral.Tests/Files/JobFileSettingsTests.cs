using Corral.Configuration;
using Corral.Gateway.Files;
using Xunit;

namespace Corral.Tests.Files;

/// <summary>The job file settings: defaults, units, and a bad value stopping the gateway with the variable's name.</summary>
public sealed class JobFileSettingsTests
{
    [Fact]
    public void Unset_GivesTheDefaults()
    {
        var settings = JobFileSettings.Read(new SettingsReader(new Dictionary<string, string>()));

        Assert.Equal(new JobFileSettings(400_000_000, 10_000, TimeSpan.FromDays(7)), settings);
    }

    [Theory]
    [InlineData("7d", 7 * 24 * 3600)]
    [InlineData("12h", 12 * 3600)]
    [InlineData("30m", 30 * 60)]
    [InlineData("90s", 90)]
    [InlineData("3600", 3600)]
    [InlineData(" 2D ", 2 * 24 * 3600)]
    public void Retention_TakesDaysHoursMinutesOrSeconds(string raw, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), JobFileSettings.ParseRetention(raw));

    [Theory]
    [InlineData("7w")]
    [InlineData("-1d")]
    [InlineData("1.5d")]
    [InlineData("30s")]
    [InlineData("d")]
    public void ABadRetention_IsRefusedNamingTheVariable(string raw)
    {
        var error = Assert.Throws<InvalidSettingException>(() => JobFileSettings.ParseRetention(raw));

        Assert.Equal(JobFileSettings.RetentionVariable, error.Variable);
    }

    [Fact]
    public void Sizes_TakeUnits_AndABadOneNamesItsVariable()
    {
        var settings = JobFileSettings.Read(new SettingsReader(new Dictionary<string, string>
        {
            [JobFileSettings.MaxBytesVariable] = "1Gi",
            [JobFileSettings.MaxCountVariable] = "5",
        }));
        Assert.Equal((1L << 30, 5), (settings.MaxBytes, settings.MaxCount));

        var error = Assert.Throws<InvalidSettingException>(() => JobFileSettings.Read(new SettingsReader(
            new Dictionary<string, string> { [JobFileSettings.MaxCountVariable] = "0" })));
        Assert.Equal(JobFileSettings.MaxCountVariable, error.Variable);
    }
}
