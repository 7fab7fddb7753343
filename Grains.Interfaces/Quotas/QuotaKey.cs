namespace Corral.Quotas;

/// <summary>The key of a quota grain: one per (user, service). Service names are case-insensitive.</summary>
public static class QuotaKey
{
    public static string For(string user, string service) => $"{user}/{service.ToLowerInvariant()}";

    public static (string User, string Service) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }
}
