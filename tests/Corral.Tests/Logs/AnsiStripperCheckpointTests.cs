using System.Text;
using Corral.HostAgent.Logs;
using Xunit;

namespace Corral.Tests.Logs;

public sealed class AnsiStripperCheckpointTests
{
    [Fact]
    public void AStripperRestoredFromACheckpoint_GoesOnExactlyWhereTheFirstStopped_AtEverySplit()
    {
        var input = Encoding.UTF8.GetBytes(
            "\e[1;31mred\e[0m \e]8;;https://example.com\e\\link\e]8;;\e\\ \e(B\e#8 \r[###] 1%\e[K\n" + "\e]" + new string('x', 5000) + "\nafter\n");
        var whole = AnsiStripper.StripAll(input);

        for (var split = 0; split <= input.Length; split++)
        {
            var first = new AnsiStripper();
            var output = new byte[input.Length];
            var written = first.Strip(input.AsSpan(0, split), output);
            var second = AnsiStripper.FromCheckpoint(first.Checkpoint);
            written += second.Strip(input.AsSpan(split), output.AsSpan(written));
            Assert.True(whole.AsSpan().SequenceEqual(output.AsSpan(0, written)), $"differs when split at {split}");
        }
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(99 << 16)]
    [InlineData(4098)]
    public void RefusesANumberThatIsNoCheckpoint(int checkpoint)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AnsiStripper.FromCheckpoint(checkpoint));
    }
}
