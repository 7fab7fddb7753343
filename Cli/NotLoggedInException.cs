namespace Corral.Cli;

/// <summary>No URL or token: neither a config file nor CORRAL_URL and CORRAL_TOKEN.</summary>
public sealed class NotLoggedInException() : Exception(
    $"not logged in: run 'corral login --url URL' (or set {ConfigStore.UrlVariable} and {ConfigStore.TokenVariable})");
