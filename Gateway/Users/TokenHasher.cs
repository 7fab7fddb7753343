using System.Security.Cryptography;
using System.Text;

namespace Corral.Gateway.Users;

/// <summary>
/// Bearer tokens: 32 random bytes, shown once, stored only as a SHA-256 hash. A fast hash is right here:
/// the tokens carry 256 bits of entropy, so there is nothing for a slow password hash to protect.
/// </summary>
public static class TokenHasher
{
    public const string Prefix = "corral_";

    public static string NewToken() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>A token's public id (16 hex digits): random, so it says nothing about the token or how many exist.</summary>
    public static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>A token that could be one of ours: prefix, then base64url characters, bounded in length.</summary>
    public static bool LooksValid(string token) =>
        token.Length is > 10 and < 200 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
