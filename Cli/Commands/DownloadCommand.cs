using System.CommandLine;
using System.IO.Compression;

namespace Corral.Cli.Commands;

/// <summary>
/// corral download ID [-d DIR]: the job's result files (GET /api/jobs/{id}/download, a ZIP) unpacked into DIR
/// (default ./ID); with --zip FILE the ZIP itself is saved. Needs the job-files API.
/// </summary>
public static class DownloadCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var directory = new Option<string?>("--dir", "-d") { Description = "Folder to unpack into (default: ./ID)" };
        var zip = new Option<string?>("--zip") { Description = "Save the ZIP to this file instead of unpacking it" };
        var list = new Option<bool>("--list", "-l") { Description = "List the result files (GET /api/jobs/{id}/files) instead" };
        var command = new Command("download", "Download a job's result files") { id, directory, zip, list };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var job = parse.GetValue(id)!;
            var path = $"api/jobs/{CorralApi.Escape(job)}";
            if (parse.GetValue(list))
            {
                var files = await session.Api.GetAsync(path + "/files", cancellationToken);
                session.Output.WriteJson(files);
                return ExitCodes.Ok;
            }

            if (parse.GetValue(zip) is { } zipPath)
            {
                await using var file = File.Create(zipPath);
                await session.Api.CopyToAsync(path + "/download", file, cancellationToken);
                return ExitCodes.Ok;
            }

            var target = parse.GetValue(directory) ?? job;
            // Through a temporary file: a job's results can be larger than memory.
            var temporary = Path.GetTempFileName();
            try
            {
                await using (var file = File.Create(temporary))
                {
                    await session.Api.CopyToAsync(path + "/download", file, cancellationToken);
                }

                Directory.CreateDirectory(target);
                // ExtractToDirectory refuses entries that would land outside the target folder.
                ZipFile.ExtractToDirectory(temporary, target, overwriteFiles: true);
            }
            finally
            {
                File.Delete(temporary);
            }
            if (!session.Output.Json)
            {
                session.Output.Line($"Saved the files of {job} in {Path.GetFullPath(target)}");
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
