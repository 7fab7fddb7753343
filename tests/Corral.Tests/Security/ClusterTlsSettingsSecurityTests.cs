using System.Security.Cryptography.X509Certificates;
using Corral.Configuration;
using Corral.Hosting;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>A cluster certificate that cannot be used stops the process at start, naming the setting, never the password.</summary>
public sealed class ClusterTlsSettingsSecurityTests
{
    [Theory]
    [InlineData("missing", ClusterTlsSystem.Password, ClusterTls.CertificateVariable)]
    [InlineData("valid", "wrong-password", ClusterTls.CertificateVariable)]
    [InlineData("garbage", ClusterTlsSystem.Password, ClusterTls.CertificateVariable)]
    [InlineData("unset", ClusterTlsSystem.Password, ClusterTls.PasswordVariable)]
    public async Task ABadCertificateFileOrPassword_FailsTheStart_NamingTheSetting(string file, string password, string named)
    {
        var folder = Directory.CreateTempSubdirectory("corral-tls-bad-").FullName;
        try
        {
            var path = Path.Combine(folder, "cluster.p12");
            if (file == "valid")
            {
                await File.WriteAllBytesAsync(path, ClusterTlsSystem.NewCertificate("x").Export(X509ContentType.Pkcs12, ClusterTlsSystem.Password));
            }
            else if (file == "garbage")
            {
                await File.WriteAllTextAsync(path, "not a certificate");
            }

            var variables = new Dictionary<string, string> { [ClusterTls.PasswordVariable] = password };
            if (file != "unset")
            {
                variables[ClusterTls.CertificateVariable] = path;
            }

            var error = Assert.Throws<InvalidSettingException>(() => ClusterTls.Read(new SettingsReader(variables)));
            Assert.Equal(named, error.Variable);
            Assert.DoesNotContain(password, error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
