namespace Corral.Cli;

/// <summary>Where the API is and the caller's token: stored by <c>corral login</c>, overridden by CORRAL_URL and CORRAL_TOKEN.</summary>
public sealed record CliConfig(string Url, string Token);
