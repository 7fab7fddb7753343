using System.Collections.Immutable;

namespace Corral.Gateway.Orchestrator;

/// <summary>
/// The command of a job uploaded on POST /upload: runs the uploaded run.sh from the working directory (its inputs
/// beside it). Its shebang is honoured when the image has that interpreter (with "#!/usr/bin/env X", when it has X);
/// otherwise bash when the image has it, else sh. The script's exit code is the job's.
/// </summary>
public static class RunScript
{
    public const string FileName = "run.sh";

    public const string WorkingDirectory = "/work";

    public static ImmutableArray<string> Command { get; } =
    [
        "sh", "-c",
        $$"""
        cd {{WorkingDirectory}} || exit 126
        first=''
        IFS= read -r first < ./{{FileName}} || true
        first=$(printf '%s' "$first" | tr -d '\r')
        case "$first" in
          '#!'*)
            set -- ${first#??}
            case "$1" in */env) command -v "$2" >/dev/null 2>&1 || set -- ;; esac
            if [ -n "$1" ] && [ -x "$1" ]; then exec "$@" ./{{FileName}}; fi ;;
        esac
        if command -v bash >/dev/null 2>&1; then exec bash ./{{FileName}}; fi
        exec sh ./{{FileName}}
        """,
    ];
}
