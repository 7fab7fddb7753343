using Corral.Configuration;
using Corral.Gateway.Auth;

namespace Corral.Gateway.Users;

/// <summary>The gateway's users, their tokens and the token cache, with the cache's setting read at start.</summary>
public static class UserServices
{
    public static IServiceCollection AddCorralUsers(this IServiceCollection services, SettingsReader settings)
    {
        services.AddSingleton(TokenCacheSettings.Read(settings));
        services.AddSingleton<CallerCache>();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<UserDirectory>();
        return services;
    }
}
