using Corral.Gateway.Api.Requests;
using Corral.Jobs;
using Xunit;

namespace Corral.Tests.Unit;

public sealed class SshSpecValidatorTests
{
    // Made with ssh-keygen -t ed25519 -C alice@laptop.
    private const string Ed25519 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDJyM/A8zkquSI6GvkYWFkBpPMt0PrnJLJWK5c1ZOv9m alice@laptop";

    [Fact]
    public void Parse_SshSession_DefaultsToTheSshImage_AndNeedsNoCommand()
    {
        var (spec, errors) = Parse(new { service = "s", kind = "ssh", sshPublicKey = "  " + Ed25519 + "\n", maxDurationSeconds = 3600 });
        Assert.Empty(errors);
        Assert.Equal(JobKind.Ssh, spec!.Kind);
        Assert.Equal(JobSpecRules.DefaultSshImage, spec.Image);
        Assert.Empty(spec.Command);
        Assert.Equal(Ed25519, spec.SshPublicKey);
        Assert.Equal(3600, spec.MaxDurationSeconds);
    }

    [Fact]
    public void Parse_SshSession_KeepsASetupCommand()
    {
        var (spec, _) = Parse(new { service = "s", kind = "ssh", sshPublicKey = Ed25519, command = new[] { "sh", "-c", "echo ready" } });
        Assert.Equal(["sh", "-c", "echo ready"], spec!.Command.ToArray());
    }

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("", "OpenSSH public key line")]
    [InlineData("ssh-ed25519", "OpenSSH public key line")]
    [InlineData("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "OpenSSH public key line")]
    [InlineData("command=\"rm -rf ~\" " + Ed25519, "OpenSSH public key line")]
    [InlineData(Ed25519 + "\n" + Ed25519, "one line")]
    [InlineData("ssh-ed25519 not*base64", "not valid base64")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIDJyM/A8zkquSI6GvkYWFkBpPMt0PrnJLJWK5c1ZOv9m", "not a ssh-rsa key")]
    public void Parse_SshSession_BadKey_IsRefused(string? key, string why)
    {
        var (spec, errors) = Parse(new { service = "s", kind = "ssh", sshPublicKey = key });
        Assert.Null(spec);
        Assert.Contains(why, errors["sshPublicKey"][0]);
    }

    [Fact]
    public void Parse_SshSession_KeyOfTheWrongJsonType_IsRefused()
    {
        var (_, errors) = Parse(new { service = "s", kind = "ssh", sshPublicKey = 42 });
        Assert.StartsWith("must be a string", errors["sshPublicKey"][0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(30 * 24 * 3600 + 1)]
    [InlineData(1.5)]
    public void Parse_SshSession_BadMaxDuration_IsRefused(double seconds)
    {
        var (_, errors) = Parse(new { service = "s", kind = "ssh", sshPublicKey = Ed25519, maxDurationSeconds = seconds });
        Assert.Contains("maxDurationSeconds", errors.Keys);
    }

    [Fact]
    public void Parse_BatchJob_RefusesSshFields()
    {
        var (spec, errors) = Parse(new { service = "s", command = new[] { "true" }, sshPublicKey = Ed25519 });
        Assert.Null(spec);
        Assert.Equal("is only for kind \"ssh\"", errors["sshPublicKey"][0]);
    }

    [Fact]
    public void Parse_BatchJob_TakesAMaximumDuration()
    {
        var (spec, errors) = Parse(new { service = "s", command = new[] { "sleep", "60" }, maxDurationSeconds = 60 });
        Assert.Empty(errors);
        Assert.Equal(60, spec!.MaxDurationSeconds);
    }

    [Theory]
    [InlineData("low", JobPriority.Low)]
    [InlineData("normal", JobPriority.Normal)]
    [InlineData("high", JobPriority.High)]
    public void Parse_Priority_IsOneOfThreeWords(string word, JobPriority expected)
    {
        var (spec, errors) = Parse(new { service = "s", command = new[] { "true" }, priority = word });
        Assert.Empty(errors);
        Assert.Equal(expected, spec!.Priority);
    }

    [Fact]
    public void Parse_NoPriority_IsNormal_AndAnyOtherValueIsRefused()
    {
        Assert.Equal(JobPriority.Normal, Parse(new { service = "s", command = new[] { "true" } }).Spec!.Priority);
        Assert.Equal(JobSpecRules.Priority, Parse(new { service = "s", command = new[] { "true" }, priority = "urgent" }).Errors["priority"][0]);
        Assert.Equal(JobSpecRules.Priority, Parse(new { service = "s", command = new[] { "true" }, priority = 1 }).Errors["priority"][0]);
    }

    [Fact]
    public void Parse_BatchJob_BadMaxDuration_IsRefused()
    {
        var (_, errors) = Parse(new { service = "s", command = new[] { "true" }, maxDurationSeconds = 0 });
        Assert.Equal("must be a whole number of seconds from 1 to 2592000", errors["maxDurationSeconds"][0]);
    }

    private static (JobSpec? Spec, Dictionary<string, string[]> Errors) Parse(object body) => JobSpecBinding.Parse(body);
}
