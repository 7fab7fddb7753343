using Corral.Resources;
using Xunit;

namespace Corral.Domain.Tests;

public sealed class ByteSizeTests
{
    [Theory]
    [InlineData("2048", 2048L)]
    [InlineData("512Mi", 536_870_912L)]
    [InlineData("1Gi", 1_073_741_824L)]
    [InlineData("1.5G", 1_500_000_000L)]
    [InlineData("40GB", 40_000_000_000L)]
    [InlineData("64Ki", 65_536L)]
    [InlineData("2T", 2_000_000_000_000L)]
    [InlineData("1Ti", 1_099_511_627_776L)]
    [InlineData(" 256M ", 256_000_000L)]
    [InlineData("100B", 100L)]
    public void Parse_ValidSize_GivesBytes(string text, long expected)
    {
        Assert.True(ByteSize.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("12XB")]
    [InlineData("-1G")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    [InlineData("G")]
    [InlineData("1.5")]
    [InlineData("1e9")]
    [InlineData("ten")]
    [InlineData("5 Gi B")]
    [InlineData("99999999999999999999Ti")]
    public void Parse_Invalid_IsRefused(string? text)
    {
        Assert.False(ByteSize.TryParse(text, out _));
    }

    [Theory]
    [InlineData(512L, "512 B")]
    [InlineData(1_073_741_824L, "1 GiB")]
    [InlineData(1_610_612_736L, "1.5 GiB")]
    public void Format_ReadsLikeAPerson_Would(long bytes, string expected) => Assert.Equal(expected, ByteSize.Format(bytes));
}
