using Corral.Configuration;
using Corral.Gateway.Auth;
using Corral.Gateway.Users;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Corral.Tests.Security;

/// <summary>
/// The gateway's token cache trusts an entry only for a few seconds and never past its token's expiry, so a
/// revocation elsewhere reaches every gateway and an expired token is refused at once.
/// </summary>
public sealed class TokenCacheSecurityTests
{
    private static readonly Caller Alice = new("alice", IsAdmin: false);
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void AnEntry_IsTrustedForTheCacheLifetime_ThenLookedUpAgain()
    {
        var cache = new CallerCache(new TokenCacheSettings(TimeSpan.FromSeconds(5)), _clock);
        cache.Add("hash", Alice, expiresAt: null, _clock.GetUtcNow());

        _clock.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Equal(Alice, cache.Find("hash"));
        _clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.Null(cache.Find("hash"));
    }

    [Fact]
    public void AnEntry_IsNeverTrustedPastItsTokensExpiry()
    {
        var cache = new CallerCache(new TokenCacheSettings(TimeSpan.FromSeconds(5)), _clock);
        cache.Add("hash", Alice, _clock.GetUtcNow().AddSeconds(1), _clock.GetUtcNow());

        Assert.Equal(Alice, cache.Find("hash"));
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(cache.Find("hash"));
    }

    [Fact]
    public void AnEvictedEntry_IsGoneAtOnce_AndOthersStay()
    {
        var cache = new CallerCache(new TokenCacheSettings(TimeSpan.FromSeconds(5)), _clock);
        cache.Add("revoked", Alice, null, _clock.GetUtcNow());
        cache.Add("kept", Alice, null, _clock.GetUtcNow());

        cache.Evict(["revoked"]);

        Assert.Null(cache.Find("revoked"));
        Assert.Equal(Alice, cache.Find("kept"));
    }

    [Fact]
    public void ALifetimeOfZero_CachesNothing()
    {
        var cache = new CallerCache(new TokenCacheSettings(TimeSpan.Zero), _clock);
        cache.Add("hash", Alice, null, _clock.GetUtcNow());

        Assert.Null(cache.Find("hash"));
    }

    [Theory]
    [InlineData(null, 5)]
    [InlineData("0", 0)]
    [InlineData("60", 60)]
    public void TheCacheLifetime_IsReadFromItsVariable(string? value, int seconds)
    {
        var environment = new Dictionary<string, string>();
        if (value is not null)
        {
            environment[TokenCacheSettings.Variable] = value;
        }

        Assert.Equal(TimeSpan.FromSeconds(seconds), TokenCacheSettings.Read(new SettingsReader(environment)).Lifetime);
    }

    [Theory]
    [InlineData("61")]
    [InlineData("-1")]
    [InlineData("five")]
    public void ABadCacheLifetime_StopsTheGateway_NamingTheVariable(string value)
    {
        var error = Assert.Throws<InvalidSettingException>(() =>
            TokenCacheSettings.Read(new SettingsReader(new Dictionary<string, string> { [TokenCacheSettings.Variable] = value })));
        Assert.Equal(TokenCacheSettings.Variable, error.Variable);
    }

    [Fact]
    public void AnExpiry_InThePast_OrBothKinds_OrBeyondTenYears_IsRefusedByName()
    {
        var now = _clock.GetUtcNow();
        Assert.Equal("expiresAt", TokenRules.Expiry(null, now, now).Field);
        Assert.Equal("expiresAt", TokenRules.Expiry(null, now.AddSeconds(-1), now).Field);
        Assert.Equal("expiresAt", TokenRules.Expiry(60, now.AddHours(1), now).Field);
        Assert.Equal("expiresAt", TokenRules.Expiry(null, now.AddSeconds(TokenRules.MaxLifetimeSeconds + 1), now).Field);
        Assert.Equal("expiresInSeconds", TokenRules.Expiry(0, null, now).Field);
        Assert.Equal("expiresInSeconds", TokenRules.Expiry(TokenRules.MaxLifetimeSeconds + 1, null, now).Field);
        Assert.Equal(now.AddSeconds(60), TokenRules.Expiry(60, null, now).ExpiresAt);
        Assert.Equal((null, null, null), TokenRules.Expiry(null, null, now));
        // An offset other than UTC is the same moment, stored as UTC.
        var later = new DateTimeOffset(2026, 1, 1, 3, 0, 0, TimeSpan.FromHours(2));
        Assert.Equal(TimeSpan.Zero, TokenRules.Expiry(null, later, now).ExpiresAt!.Value.Offset);
    }

    [Theory]
    [InlineData("laptop", true)]
    [InlineData("ci: deploy@prod", true)]
    [InlineData("Zürich 2", true)]
    [InlineData("", false)]
    [InlineData(" lead", false)]
    [InlineData("line\n", false)]
    [InlineData("semi;colon", false)]
    [InlineData("<script>", false)]
    public void TokenNames_AreShortAndPlain(string name, bool valid)
    {
        Assert.Equal(valid, TokenRules.IsValidName(name));
        Assert.True(TokenRules.IsValidName(new string('a', TokenRules.MaxNameLength)));
        Assert.False(TokenRules.IsValidName(new string('a', TokenRules.MaxNameLength + 1)));
    }
}
