using System.Security.Cryptography;
using System.Text;
using Corral.Configuration;
using Corral.HostAgent.Containers;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// Job MACs are keyed with a host secret: a user who picks a job id (through Idempotency-Key) cannot tell which MAC
/// it gets, so cannot aim at another job's MAC and the egress rules that match it.
/// </summary>
public sealed class JobMacAddressSecurityTests : IDisposable
{
    private const string JobId = "0199a3b2c4d5e6f7a8b9c0d1e2f3a4b5";

    private readonly string _folder = Directory.CreateTempSubdirectory("corral-mac-key-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void SameIdAndKey_SameMac_AnotherKey_AnotherMac()
    {
        var key = RandomNumberGenerator.GetBytes(JobMacKey.Length);
        var other = RandomNumberGenerator.GetBytes(JobMacKey.Length);
        Assert.Equal(JobMacAddress.For(JobId, key), JobMacAddress.For(JobId, key.ToArray()));
        Assert.NotEqual(JobMacAddress.For(JobId, key), JobMacAddress.For(JobId, other));
        Assert.NotEqual(JobMacAddress.For(JobId, key), JobMacAddress.For("0199a3b2c4d5e6f7a8b9c0d1e2f3a4b6", key));
    }

    [Fact]
    public void Mac_IsNotAHashOfTheIdAlone()
    {
        // The address an attacker could compute from an id they chose: the unkeyed derivation.
        var guessable = "06:" + string.Join(':', SHA256.HashData(Encoding.UTF8.GetBytes(JobId)).Take(5).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        Assert.NotEqual(guessable, JobMacAddress.For(JobId));
        Assert.NotEqual(guessable, JobMacAddress.For(JobId, RandomNumberGenerator.GetBytes(JobMacKey.Length)));
    }

    [Fact]
    public void Mac_KeepsTheLocallyAdministeredUnicastPattern()
    {
        for (var i = 0; i < 200; i++)
        {
            var mac = JobMacAddress.For(Guid.NewGuid().ToString("N"), RandomNumberGenerator.GetBytes(JobMacKey.Length));
            Assert.Matches("^06(:[0-9a-f]{2}){5}$", mac);
            var first = Convert.ToByte(mac[..2], 16);
            Assert.Equal(0b10, first & 0b11); // locally administered, unicast
            Assert.DoesNotMatch("^02:42:", mac);
        }
    }

    [Fact]
    public void HostKey_IsMadeOnce_Private_AndKeptAcrossRestarts()
    {
        var first = JobMacKey.LoadOrCreate(_folder);
        var path = Path.Combine(_folder, JobMacKey.FileName);
        Assert.Equal(JobMacKey.Length, first.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        // A restarted agent reads the same key, so an adopted container's MAC still matches its egress chains.
        Assert.Equal(first, JobMacKey.LoadOrCreate(_folder));
        Assert.Equal(JobMacAddress.For(JobId, first), JobMacAddress.For(JobId, JobMacKey.LoadOrCreate(_folder)));
        Assert.NotEqual(first, JobMacKey.LoadOrCreate(Directory.CreateTempSubdirectory("corral-mac-key-2-").FullName));
    }

    [Fact]
    public void DamagedHostKey_StopsTheAgent_NamingJobOutputDir()
    {
        File.WriteAllBytes(Path.Combine(_folder, JobMacKey.FileName), [1, 2, 3]);
        var error = Assert.Throws<InvalidSettingException>(() => JobMacKey.LoadOrCreate(_folder));
        Assert.Equal("JOB_OUTPUT_DIR", error.Variable);
    }
}
