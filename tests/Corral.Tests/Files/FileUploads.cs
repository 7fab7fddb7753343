using System.Net.Http.Headers;
using System.Text.Json;
using Npgsql;

namespace Corral.Tests.Files;

/// <summary>Helpers for the file tests: multipart bodies as curl -F makes them, and what the gateway stored.</summary>
public static class FileUploads
{
    public static MultipartFormDataContent JobForm(object spec, params (string Path, HttpContent Content)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(spec)), "spec" } };
        foreach (var (path, content) in files)
        {
            form.Add(content, "file", path);
        }

        return form;
    }

    public static HttpContent Bytes(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    public static HttpContent Text(string text) => Bytes(System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>How many input files named <paramref name="path"/> the system stored, for any job.</summary>
    public static async Task<long> StoredInputsAsync(string connectionString, string path)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM corral_job_files WHERE file_set = 0 AND path = $1) + " +
            "(SELECT count(*) FROM corral_job_file_chunks WHERE file_set = 0 AND path = $1)", connection);
        command.Parameters.AddWithValue(path);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The resident memory of a process, from /proc.</summary>
    public static long ResidentBytes(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}
