using System.CommandLine;

namespace Corral.Cli;

/// <summary>
/// What a command runs with: the output, the config, and the API client (only once a command asks, so login works
/// without a config). <see cref="RunAsync"/> turns failures into the documented exit codes.
/// </summary>
public sealed class Session : IDisposable
{
    private CorralApi? _api;

    private Session(Output output, ConfigStore config)
    {
        Output = output;
        Config = config;
    }

    public Output Output { get; }

    public ConfigStore Config { get; }

    public CorralApi Api => _api ??= new CorralApi(Config.Resolve() ?? throw new NotLoggedInException());

    public static Func<ParseResult, CancellationToken, Task<int>> Action(Func<Session, ParseResult, CancellationToken, Task<int>> body) =>
        (parse, cancellationToken) => RunAsync(parse, cancellationToken, body);

    public static async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken, Func<Session, ParseResult, CancellationToken, Task<int>> body)
    {
        using var session = new Session(new Output(parse.GetValue(GlobalOptions.Output) == "json"), ConfigStore.Default());
        try
        {
            return await body(session, parse, cancellationToken);
        }
        catch (ApiException error)
        {
            Output.Error(error.Message);
            if (session.Output.Json && error.Body is { Length: > 0 } problem)
            {
                await Console.Error.WriteLineAsync(problem);
            }

            return ExitCodes.ApiError;
        }
        catch (NotLoggedInException error)
        {
            Output.Error(error.Message);
            return ExitCodes.ApiError;
        }
        catch (UsageException error)
        {
            Output.Error(error.Message);
            return ExitCodes.Usage;
        }
        catch (HttpRequestException error)
        {
            Output.Error($"{session._api?.BaseAddress}: {error.Message}");
            return ExitCodes.ApiError;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C stops following, not the job: it goes on (corral cancel stops it).
            Output.Note("interrupted; any job submitted goes on (corral cancel ID stops it)");
            return ExitCodes.Cancelled;
        }
    }

    public void Dispose() => _api?.Dispose();
}
