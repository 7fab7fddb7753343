using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Corral.Cli;

/// <summary>
/// Input files sent with a job (the job-files API: POST /api/jobs as multipart, a "spec" JSON part and one "file"
/// part per file whose filename is its path relative to the job's working directory). --file PATH sends the file
/// under its own name; PATH=NAME under NAME; a folder sends every file under it, relative to the folder's parent.
/// </summary>
public static class JobFiles
{
    public sealed record Upload(string LocalPath, string Name);

    public static IReadOnlyList<Upload> Parse(IEnumerable<string> arguments)
    {
        var uploads = new List<Upload>();
        foreach (var argument in arguments)
        {
            var equals = argument.IndexOf('=', StringComparison.Ordinal);
            var path = equals < 0 ? argument : argument[..equals];
            if (Directory.Exists(path) && equals < 0)
            {
                var parent = Path.GetDirectoryName(Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar)) ?? "/";
                uploads.AddRange(Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                    .Select(file => new Upload(file, Path.GetRelativePath(parent, Path.GetFullPath(file)).Replace('\\', '/'))));
                continue;
            }

            if (!File.Exists(path))
            {
                throw new UsageException($"--file: '{path}' is not a file or folder");
            }

            uploads.Add(new Upload(path, equals < 0 ? Path.GetFileName(path) : argument[(equals + 1)..]));
        }

        return uploads;
    }

    public static async Task<JsonElement> SubmitAsync(
        CorralApi api, JsonObject spec, IReadOnlyList<Upload> uploads, string? idempotencyKey, CancellationToken cancellationToken)
    {
        using var content = new MultipartFormDataContent();
        content.Add(new StringContent(spec.ToJsonString(), Encoding.UTF8, "application/json"), "spec");
        var streams = new List<Stream>();
        try
        {
            foreach (var upload in uploads)
            {
                var stream = File.OpenRead(upload.LocalPath);
                streams.Add(stream);
                var part = new StreamContent(stream);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                content.Add(part, "file", upload.Name);
            }

            return await api.PostAsync("api/jobs", content, cancellationToken, idempotencyKey);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }
}
