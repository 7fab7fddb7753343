namespace Corral.Gateway.Users;

/// <summary>
/// Makes sure an admin exists at start: CORRAL_ADMIN_TOKEN becomes the token of user "admin"; without it, a
/// first start generates a token and prints it once.
/// </summary>
public sealed partial class AdminBootstrap(UserDirectory users, AdminTokenSetting setting, ILogger<AdminBootstrap> logger) : IHostedService
{
    public const string AdminName = "admin";

    /// <summary>The name, in the admin's token list, of the token from CORRAL_ADMIN_TOKEN; every start puts it back.</summary>
    public const string EnvironmentTokenName = "CORRAL_ADMIN_TOKEN";

    /// <summary>The name of the token a first start without CORRAL_ADMIN_TOKEN generates.</summary>
    public const string GeneratedTokenName = "generated";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var token = setting.Token;
        if (token is not null)
        {
            await users.SetAdminTokenAsync(AdminName, EnvironmentTokenName, token, cancellationToken);
            return;
        }

        if (await users.AnyAdminAsync(cancellationToken))
        {
            return;
        }

        token = TokenHasher.NewToken();
        await users.SetAdminTokenAsync(AdminName, GeneratedTokenName, token, cancellationToken);
        // Printed once, on the console only; only its hash is stored.
        Console.WriteLine($"Generated admin token (shown once): {token}");
        LogGenerated();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "No CORRAL_ADMIN_TOKEN was set: generated an admin token and printed it on the console")]
    private partial void LogGenerated();
}

/// <summary>CORRAL_ADMIN_TOKEN, checked at start so a bad one stops the gateway before it does anything.</summary>
public sealed record AdminTokenSetting(string? Token)
{
    /// <summary>A guessable admin token is the whole cluster: at least 32 characters (a generated one has 50).</summary>
    public const int MinLength = 32;

    public static AdminTokenSetting Read(Corral.Configuration.SettingsReader settings)
    {
        var token = settings.GetString("CORRAL_ADMIN_TOKEN");
        // The value is a secret: the messages name the variable and its length but never echo it.
        if (token is not null && token.Length < MinLength)
        {
            throw new Corral.Configuration.InvalidSettingException(
                "CORRAL_ADMIN_TOKEN", $"(hidden, {token.Length} characters)",
                $"it must be at least {MinLength} characters (deploy/up.sh generates one: corral_ and 43 random characters)");
        }

        if (token is not null && !TokenHasher.LooksValid(token))
        {
            throw new Corral.Configuration.InvalidSettingException(
                "CORRAL_ADMIN_TOKEN", "(hidden)", $"it must be {MinLength}-199 characters of letters, digits, '-' or '_'");
        }

        return new AdminTokenSetting(token);
    }
}
