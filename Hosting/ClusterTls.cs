using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Corral.Configuration;
using Orleans.Connections.Security;

namespace Corral.Hosting;

/// <summary>
/// TLS on the cluster's own connections (silo to silo, and clients to the silos' gateway ports), from
/// CORRAL_CLUSTER_TLS_CERT, a PKCS#12 file, and CORRAL_CLUSTER_TLS_PASSWORD. Every process of a cluster holds the same
/// certificate: each side presents it, and each side accepts only a peer whose certificate is that one (pinned by its
/// SHA-256 hash), so a process without the file can neither join nor call in, whatever CA or name it shows.
/// </summary>
public sealed class ClusterTls
{
    public const string CertificateVariable = "CORRAL_CLUSTER_TLS_CERT";
    public const string PasswordVariable = "CORRAL_CLUSTER_TLS_PASSWORD";

    private readonly X509Certificate2 _certificate;
    private readonly byte[] _pin;

    private ClusterTls(X509Certificate2 certificate)
    {
        _certificate = certificate;
        _pin = certificate.GetCertHash(HashAlgorithmName.SHA256);
    }

    /// <summary>The TLS settings, or null when CORRAL_CLUSTER_TLS_CERT is unset (plain TCP).</summary>
    /// <exception cref="InvalidSettingException">The file is missing, unreadable, not PKCS#12, the password is wrong, or it has no private key.</exception>
    public static ClusterTls? Read(SettingsReader settings)
    {
        var path = settings.GetString(CertificateVariable);
        if (path is null)
        {
            return settings.GetString(PasswordVariable) is null
                ? null
                : throw new InvalidSettingException(PasswordVariable, "(hidden)", $"it is set but {CertificateVariable} is not");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, settings.GetString(PasswordVariable));
        }
        catch (Exception error) when (error is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidSettingException(
                CertificateVariable, path, $"it cannot be read as a PKCS#12 file with {PasswordVariable} ({error.Message.TrimEnd('.')})");
        }

        return certificate.HasPrivateKey
            ? new ClusterTls(certificate)
            : throw new InvalidSettingException(CertificateVariable, path, "it holds no private key");
    }

    public void ApplyTo(ISiloBuilder silo) => silo.UseTls(_certificate, Configure);

    public void ApplyTo(IClientBuilder client) => client.UseTls(_certificate, Configure);

    private void Configure(TlsOptions options)
    {
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        // The gateway port too: a client must present the cluster's certificate (mutual TLS).
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        // Only the pin decides: the shared certificate is usually self-signed and names no host.
        options.RemoteCertificateValidation = (certificate, _, _) =>
            CryptographicOperations.FixedTimeEquals(certificate.GetCertHash(HashAlgorithmName.SHA256), _pin);
    }
}
