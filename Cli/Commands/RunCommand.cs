using System.CommandLine;
using Corral.Cli.Live;

namespace Corral.Cli.Commands;

/// <summary>
/// corral run [options] -- CMD ARGS...: submits a job and prints its id; with --attach follows it to the end
/// (status on stderr, output on stdout) and exits with its exit code (<see cref="JobOutcome.ExitCode"/>).
/// </summary>
public static class RunCommand
{
    public static Command Create()
    {
        var service = new Option<string>("--service", "-s")
        {
            Description = "Service (quota bucket) to run under",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("CORRAL_SERVICE") is { Length: > 0 } fromEnvironment ? fromEnvironment : "default",
        };
        var image = new Option<string?>("--image") { Description = "Container image (default: the cluster's default image)" };
        var cpu = new Option<string?>("--cpu") { Description = "CPUs, e.g. 0.5 or 2" };
        var memory = new Option<string?>("--memory", "-m") { Description = "Memory, e.g. 512Mi, 2G or bytes" };
        var pids = new Option<string?>("--pids") { Description = "Most processes at once" };
        var gpu = new Option<string?>("--gpu") { Description = "GPUs: COUNT[:TYPE[:MEMORY]], e.g. 1, 2:H100, 1:H100:40GB" };
        var env = new Option<string[]>("--env", "-e") { Description = "Environment variable NAME=VALUE (repeatable)", AllowMultipleArgumentsPerToken = false };
        var maxDuration = new Option<string?>("--max-duration") { Description = "Seconds after which the job is stopped" };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Makes a retried submission return the same job" };
        var sshKey = new Option<FileInfo?>("--ssh-key") { Description = "Start an SSH session job for this public key file (then: corral ssh ID)" };
        var files = new Option<string[]>("--file", "-f") { Description = "Send a file or folder into the job's /work: PATH, or PATH=NAME to name it there (repeatable)" };
        var attach = new Option<bool>("--attach", "-a") { Description = "Follow status and output to the end; exit with the job's exit code" };
        var commandLine = new Argument<string[]>("command") { Description = "The command and its arguments, after --", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("run", "Submit a job: corral run [options] -- CMD ARGS...")
        {
            service, image, cpu, memory, pids, gpu, env, maxDuration, idempotencyKey, sshKey, files, attach, commandLine,
        };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var key = parse.GetValue(sshKey);
            var spec = JobSpecBuilder.Build(new JobSpecBuilder.Options(
                parse.GetValue(service)!,
                parse.GetValue(image),
                parse.GetValue(commandLine) ?? [],
                parse.GetValue(cpu),
                parse.GetValue(memory),
                parse.GetValue(pids),
                parse.GetValue(gpu),
                parse.GetValue(env),
                parse.GetValue(maxDuration),
                key is null ? null : (await File.ReadAllTextAsync(key.FullName, cancellationToken)).Trim()));
            var uploads = JobFiles.Parse(parse.GetValue(files) ?? []);
            var accepted = uploads.Count == 0
                ? await session.Api.PostAsync("api/jobs", spec, cancellationToken, parse.GetValue(idempotencyKey))
                : await JobFiles.SubmitAsync(session.Api, spec, uploads, parse.GetValue(idempotencyKey), session.Output.Json, cancellationToken);
            var id = JobText.Cell(accepted, "id");
            var attached = parse.GetValue(attach);
            if (session.Output.Json)
            {
                session.Output.WriteJsonLine(accepted);
            }
            else if (attached)
            {
                // Attached, stdout carries only the job's output.
                Output.Note($"{id}: submitted");
            }
            else
            {
                session.Output.Line(id);
            }

            if (!attached)
            {
                return ExitCodes.Ok;
            }

            var job = await new JobFollower(session, id, noteStatus: true).FollowAsync(cancellationToken);
            if (session.Output.Json)
            {
                session.Output.WriteJsonLine(job);
            }

            return JobOutcome.ExitCode(job);
        }));
        return command;
    }
}
