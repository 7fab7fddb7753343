using System.Text;
using Corral.Files;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Corral.Gateway.Files;

/// <summary>
/// Reads a multipart/form-data body part by part (MultipartReader on the request body, never ReadFormAsync), storing
/// each "file" part as one of the job's input files as it arrives, so the gateway's memory does not grow with the
/// upload. A part's filename is its path in the working directory (<see cref="JobFilePath"/>). Refused names,
/// duplicates and limits (<see cref="JobFileSettings"/>) stop the upload; whatever failed, nothing is kept.
/// </summary>
public sealed class JobUploadReader(IJobFileStore store, JobFileSettings limits)
{
    public const string FilePart = "file";

    /// <summary>The most fields a form may carry besides its files, and the longest a field value may be.</summary>
    public const int MaxFields = 32;

    public async Task<UploadedForm> ReadAsync(HttpRequest request, string jobId, long maxFieldBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength is { } declared && declared > limits.MaxBytes + Envelope(limits, maxFieldBytes))
        {
            return UploadedForm.Refused(TooLarge($"the body is {declared} bytes"));
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            return UploadedForm.Refused(new UploadProblem(StatusCodes.Status400BadRequest, "body", "must be multipart/form-data with a boundary"));
        }

        var stored = false;
        try
        {
            var (form, anyStored) = await ReadPartsAsync(new MultipartReader(boundary, request.Body), jobId, maxFieldBytes, cancellationToken);
            stored = anyStored;
            if (form.Problem is not null && stored)
            {
                await store.DeleteAsync(jobId, JobFileSet.Inputs, CancellationToken.None);
            }

            return form;
        }
        catch (Exception error) when (error is IOException or InvalidDataException && !request.HttpContext.RequestAborted.IsCancellationRequested)
        {
            await store.DeleteAsync(jobId, JobFileSet.Inputs, CancellationToken.None);
            return UploadedForm.Refused(new UploadProblem(StatusCodes.Status400BadRequest, "body", $"is not a readable multipart form: {error.Message}"));
        }
        catch
        {
            // The client went away, or the body passed the route's limit mid-part: keep nothing of it either way.
            await store.DeleteAsync(jobId, JobFileSet.Inputs, CancellationToken.None);
            throw;
        }
    }

    /// <summary>Room for everything but the files' bytes: the fields, and each part's headers and boundary.</summary>
    public static long Envelope(JobFileSettings limits, long maxFieldBytes) => maxFieldBytes + MaxFields * 4096L + limits.MaxCount * 2048L;

    private async Task<(UploadedForm Form, bool Stored)> ReadPartsAsync(MultipartReader reader, string jobId, long maxFieldBytes, CancellationToken cancellationToken)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new List<StoredFile>();
        var paths = new HashSet<string>(StringComparer.Ordinal);
        var folders = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        while (await reader.ReadNextSectionAsync(cancellationToken) is { } section)
        {
            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
            {
                return (UploadedForm.Refused(Bad("body", "every part needs Content-Disposition: form-data; name=...")), files.Count > 0);
            }

            var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
            if (!disposition.IsFileDisposition())
            {
                if (fields.Count >= MaxFields)
                {
                    return (UploadedForm.Refused(Bad(name, $"is one field too many: a form has at most {MaxFields}")), files.Count > 0);
                }

                if (await ReadFieldAsync(section.Body, maxFieldBytes, cancellationToken) is not { } value)
                {
                    return (UploadedForm.Refused(Bad(name, $"is longer than {maxFieldBytes} bytes")), files.Count > 0);
                }

                fields.TryAdd(name, value);
                continue;
            }

            if (name != FilePart)
            {
                return (UploadedForm.Refused(Bad(name, $"is a file part; files are sent as parts named '{FilePart}'")), files.Count > 0);
            }

            var path = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value ?? "";
            if (JobFilePath.Problem(path) is { } problem)
            {
                return (UploadedForm.Refused(Bad(FilePart, $"'{Printable(path)}' {problem}")), files.Count > 0);
            }

            if (!paths.Add(path) || folders.Contains(path) || Folders(path).Any(paths.Contains))
            {
                return (UploadedForm.Refused(Bad(FilePart, $"'{path}' is sent twice, or is both a file and a folder")), files.Count > 0);
            }

            folders.UnionWith(Folders(path));
            if (files.Count >= limits.MaxCount)
            {
                return (UploadedForm.Refused(Bad(JobFileSettings.MaxCountVariable,
                    $"a job has at most {limits.MaxCount} input files ({JobFileSettings.MaxCountVariable})")), true);
            }

            try
            {
                var size = await store.SaveAsync(jobId, JobFileSet.Inputs, path, section.Body, limits.MaxBytes - total, cancellationToken);
                total += size;
                files.Add(new StoredFile(path, size));
            }
            catch (FileTooLargeException)
            {
                return (UploadedForm.Refused(TooLarge($"'{path}' passes it")), true);
            }
        }

        return (new UploadedForm(fields, files, null), files.Count > 0);
    }

    private UploadProblem TooLarge(string what) => new(StatusCodes.Status413PayloadTooLarge, JobFileSettings.MaxBytesVariable,
        $"a job's input files are at most {limits.MaxBytes} bytes in all ({JobFileSettings.MaxBytesVariable}); {what}");

    private static UploadProblem Bad(string field, string message) =>
        new(StatusCodes.Status400BadRequest, field.Length == 0 ? "body" : field, message);

    private static IEnumerable<string> Folders(string path)
    {
        for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            yield return path[..slash];
        }
    }

    private static string Printable(string path) =>
        new([.. path.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);

    /// <summary>A field's text, or null when it passes <paramref name="maxBytes"/> (read no further than that).</summary>
    private static async Task<string?> ReadFieldAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
