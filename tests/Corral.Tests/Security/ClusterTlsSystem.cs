using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Corral.Hosting;
using Corral.Tests.EndToEnd;

namespace Corral.Tests.Security;

/// <summary>
/// The whole system with TLS on every cluster connection (one self-signed certificate in a PKCS#12 file, as an
/// operator would make it), its silo and gateway ports on the Docker bridge's host address, where jobs could reach
/// them if nothing stopped them.
/// </summary>
public sealed class ClusterTlsSystem : CorralSystem
{
    public const string Password = "corral-test-password";

    private readonly string _folder = Directory.CreateTempSubdirectory("corral-tls-").FullName;

    public string CertificatePath => Path.Combine(_folder, "cluster.p12");

    public X509Certificate2 Certificate { get; private set; } = null!;

    public IPAddress BridgeAddress { get; private set; } = null!;

    public int SiloPort { get; } = TestEnvironment.FreePort();

    public int GatewayPort { get; } = TestEnvironment.FreePort();

    public string ClusterId => new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString).Database!;

    public override async Task InitializeAsync()
    {
        Certificate = NewCertificate("corral-cluster");
        await File.WriteAllBytesAsync(CertificatePath, Certificate.Export(X509ContentType.Pkcs12, Password));
        File.SetUnixFileMode(CertificatePath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        BridgeAddress = await DockerBridgeAddressAsync();
        SetSystemVariable(ClusterTls.CertificateVariable, CertificatePath);
        SetSystemVariable(ClusterTls.PasswordVariable, Password);
        SetSystemVariable("CORRAL_SILO_ADDRESS", BridgeAddress.ToString());
        SetSystemVariable("CORRAL_SILO_PORT", SiloPort.ToString());
        SetSystemVariable("CORRAL_GATEWAY_PORT", GatewayPort.ToString());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        finally
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>The host's IPv4 address on the Docker engine's default bridge (docker0): what containers see as the host.</summary>
    public static async Task<IPAddress> DockerBridgeAddressAsync()
    {
        var name = await TestEnvironment.DockerAsync("network", "inspect", "bridge", "--format", "{{index .Options \"com.docker.network.bridge.name\"}}");
        return NetworkInterface.GetAllNetworkInterfaces()
            .Single(n => n.Name == (name.Length > 0 ? name : "docker0"))
            .GetIPProperties().UnicastAddresses
            .Select(a => a.Address)
            .First(a => a.AddressFamily == AddressFamily.InterNetwork);
    }

    /// <summary>A self-signed certificate with its private key, valid for a day.</summary>
    public static X509Certificate2 NewCertificate(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Through PKCS#12, so the key is usable by SslStream on Linux (an ephemeral key is not).
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12, Password), Password);
    }
}
