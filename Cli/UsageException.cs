namespace Corral.Cli;

/// <summary>A command line that parses but cannot mean anything (an --env without '='): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
