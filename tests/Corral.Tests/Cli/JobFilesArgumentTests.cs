using Corral.Cli;
using Xunit;

namespace Corral.Tests.Cli;

/// <summary>What corral run --file turns into: the local file behind each upload and its path in the job's /work.</summary>
public sealed class JobFilesArgumentTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("corral-cli-args-").FullName;

    [Fact]
    public void AFile_IsSentUnderItsOwnName_OrUnderTheNameAfterEquals()
    {
        var file = Touch("data.bin");

        var uploads = JobFiles.Parse([file, file + "=in/renamed.bin"]);

        Assert.Equal([new JobFiles.Upload(file, "data.bin"), new JobFiles.Upload(file, "in/renamed.bin")], uploads);
    }

    [Fact]
    public void AFolder_SendsEveryFileUnderIt_NamedFromTheFolder_OrUnderTheNameAfterEquals()
    {
        Touch("inputs/a.txt");
        Touch("inputs/deep/b.bin");
        var folder = Path.Combine(_root, "inputs");

        Assert.Equal(["inputs/a.txt", "inputs/deep/b.bin"], JobFiles.Parse([folder + "/"]).Select(u => u.Name));
        Assert.Equal(["data/a.txt", "data/deep/b.bin"], JobFiles.Parse([folder + "=data"]).Select(u => u.Name));
        Assert.Equal(Path.Combine(folder, "deep", "b.bin"), JobFiles.Parse([folder]).Last().LocalPath);
    }

    [Fact]
    public void AFileWhoseNameHoldsEquals_IsSentAsItIs()
    {
        var file = Touch("a=b.txt");

        Assert.Equal("a=b.txt", Assert.Single(JobFiles.Parse([file])).Name);
    }

    [Theory]
    [InlineData("missing.bin")]
    [InlineData("missing.bin=x.bin")]
    [InlineData("present.bin=")]
    public void AMissingPath_OrAnEmptyName_IsAUsageErrorNamingTheOption(string argument)
    {
        Touch("present.bin");

        var error = Assert.Throws<UsageException>(() => JobFiles.Parse([Path.Combine(_root, argument)]));

        Assert.Contains("--file", error.Message);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Touch(string name)
    {
        var path = Path.Combine(_root, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, name);
        return path;
    }
}
