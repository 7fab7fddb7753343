using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Corral.Cli;

/// <summary>
/// Input files sent with a job (POST /api/jobs as multipart: a "spec" JSON part and one "file" part per file whose
/// filename is its path in the job's /work). --file PATH sends a file under its own name and a folder as every file
/// under it, named relative to the folder's parent (inputs/a.txt); PATH=NAME sends a file as NAME, a folder under NAME.
/// </summary>
public static class JobFiles
{
    public sealed record Upload(string LocalPath, string Name);

    public static IReadOnlyList<Upload> Parse(IEnumerable<string> arguments)
    {
        var uploads = new List<Upload>();
        foreach (var argument in arguments)
        {
            // A path that exists as typed wins over PATH=NAME, so a file whose name holds '=' can still be sent.
            var equals = File.Exists(argument) || Directory.Exists(argument) ? -1 : argument.IndexOf('=', StringComparison.Ordinal);
            var path = equals < 0 ? argument : argument[..equals];
            var name = equals < 0 ? null : argument[(equals + 1)..].Trim('/');
            if (name is { Length: 0 })
            {
                throw new UsageException($"--file: '{argument}' names no path after '='");
            }

            if (Directory.Exists(path))
            {
                uploads.AddRange(FolderUploads(path, name));
                continue;
            }

            if (!File.Exists(path))
            {
                throw new UsageException($"--file: '{path}' is not a file or folder");
            }

            uploads.Add(new Upload(path, name ?? Path.GetFileName(path)));
        }

        return uploads;
    }

    public static async Task<JsonElement> SubmitAsync(
        CorralApi api, JsonObject spec, IReadOnlyList<Upload> uploads, string? idempotencyKey, bool json, CancellationToken cancellationToken)
    {
        var total = uploads.Sum(upload => new FileInfo(upload.LocalPath).Length);
        return await UploadProgress.RunAsync(total, json, async sent =>
        {
            using var content = new MultipartFormDataContent();
            content.Add(new StringContent(spec.ToJsonString(), Encoding.UTF8, "application/json"), "spec");
            foreach (var upload in uploads)
            {
                // Opened here and disposed with the content: a job's inputs can be larger than memory.
                var part = new StreamContent(new CountingStream(File.OpenRead(upload.LocalPath), sent), 1 << 18);
                part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                content.Add(part, "file", upload.Name);
            }

            return await api.PostAsync("api/jobs", content, cancellationToken, idempotencyKey);
        });
    }

    private static IEnumerable<Upload> FolderUploads(string folder, string? name)
    {
        var full = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var under = name ?? Path.GetFileName(full);
        return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(file =>
            {
                var relative = Path.GetRelativePath(full, file).Replace('\\', '/');
                return new Upload(file, under.Length == 0 ? relative : $"{under}/{relative}");
            });
    }
}
