using System.CommandLine;
using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace Corral.Cli.Commands;

/// <summary>
/// corral download ID [-d DIR | --zip FILE | --list]: the job's result files (GET /api/jobs/{id}/download, a ZIP;
/// a running job's is a snapshot of its /work) unpacked into DIR (default ./ID), or the ZIP saved as FILE; --list
/// prints their paths and sizes (GET /api/jobs/{id}/files).
/// </summary>
public static class DownloadCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var directory = new Option<string?>("--dir", "-d") { Description = "Folder to unpack into (default: ./ID)" };
        var zip = new Option<string?>("--zip") { Description = "Save the ZIP to this file instead of unpacking it" };
        var list = new Option<bool>("--list", "-l") { Description = "List the result files (path and size) instead" };
        var command = new Command("download", "Download a job's result files") { id, directory, zip, list };
        command.SetAction(Session.Action(async (session, parse, cancellationToken) =>
        {
            var job = parse.GetValue(id)!;
            var path = $"api/jobs/{CorralApi.Escape(job)}";
            if (parse.GetValue(list))
            {
                await ListAsync(session, path, cancellationToken);
                return ExitCodes.Ok;
            }

            if (parse.GetValue(zip) is { } zipPath)
            {
                await using (var file = File.Create(zipPath))
                {
                    await session.Api.CopyToAsync(path + "/download", file, cancellationToken);
                }

                Saved(session, new { jobId = job, zip = Path.GetFullPath(zipPath), bytes = new FileInfo(zipPath).Length },
                    $"Saved the files of {job} as {Path.GetFullPath(zipPath)}");
                return ExitCodes.Ok;
            }

            var target = parse.GetValue(directory) ?? job;
            var count = await UnpackAsync(session.Api, path + "/download", target, cancellationToken);
            Saved(session, new { jobId = job, directory = Path.GetFullPath(target), files = count },
                $"Saved {count} file(s) of {job} in {Path.GetFullPath(target)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>The listing as a table (the API's JSON with -o json); its message, such as "no results yet", on stderr.</summary>
    private static async Task ListAsync(Session session, string path, CancellationToken cancellationToken)
    {
        var files = await session.Api.GetAsync(path + "/files", cancellationToken);
        if (session.Output.Json)
        {
            session.Output.WriteJson(files);
            return;
        }

        var items = files.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().ToList() : [];
        if (items.Count > 0)
        {
            session.Output.Table(["PATH", "SIZE"], items.Select(item => (IReadOnlyList<string>)
                [JobText.Cell(item, "path"), (JobText.Number(item, "size") ?? 0).ToString("N0", CultureInfo.InvariantCulture)]));
        }

        if (JobOutcome.Text(files, "message") is { Length: > 0 } message)
        {
            Output.Note(message);
        }
    }

    /// <summary>Through a temporary file (results can be larger than memory); returns how many files were unpacked.</summary>
    private static async Task<int> UnpackAsync(CorralApi api, string path, string target, CancellationToken cancellationToken)
    {
        var temporary = Path.GetTempFileName();
        try
        {
            await using (var file = File.Create(temporary))
            {
                await api.CopyToAsync(path, file, cancellationToken);
            }

            Directory.CreateDirectory(target);
            // ExtractToDirectory refuses entries that would land outside the target folder.
            await ZipFile.ExtractToDirectoryAsync(temporary, target, overwriteFiles: true, cancellationToken);
            await using var archive = await ZipFile.OpenReadAsync(temporary, cancellationToken);
            return archive.Entries.Count(entry => !entry.FullName.EndsWith('/'));
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static void Saved(Session session, object json, string words)
    {
        if (session.Output.Json)
        {
            session.Output.WriteJsonLine(json);
        }
        else
        {
            session.Output.Line(words);
        }
    }
}
