using System.Security.Cryptography;

namespace Corral.Benchmarks.Files;

/// <summary>
/// The bytes every measurement of the suite moves: a few files of random bytes (incompressible, as most binary inputs
/// are) in a fresh folder, with their SHA-256 so the job can show they arrived intact. Disposing removes the folder.
/// </summary>
public sealed class InputFiles : IDisposable
{
    private InputFiles(string folder, IReadOnlyList<string> names, IReadOnlyDictionary<string, string> hashes, long totalBytes)
    {
        Folder = folder;
        Names = names;
        Hashes = hashes;
        TotalBytes = totalBytes;
    }

    public string Folder { get; }

    /// <summary>File names, which are also their paths in the job's /work.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Lower-case hex SHA-256 by name, as sha256sum prints it.</summary>
    public IReadOnlyDictionary<string, string> Hashes { get; }

    public long TotalBytes { get; }

    public string PathOf(string name) => Path.Combine(Folder, name);

    public static async Task<InputFiles> CreateAsync(int count, int bytesEach, CancellationToken cancellationToken)
    {
        var folder = Directory.CreateTempSubdirectory("corral-bench-files-").FullName;
        var names = new List<string>();
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        var random = new Random(17);
        var block = new byte[1024 * 1024];
        for (var i = 0; i < count; i++)
        {
            var name = $"part-{i}.bin";
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = File.Create(Path.Combine(folder, name)))
            {
                for (var written = 0; written < bytesEach; written += block.Length)
                {
                    var chunk = block.AsMemory(0, Math.Min(block.Length, bytesEach - written));
                    random.NextBytes(chunk.Span);
                    hash.AppendData(chunk.Span);
                    await file.WriteAsync(chunk, cancellationToken);
                }
            }

            names.Add(name);
            hashes[name] = Convert.ToHexStringLower(hash.GetHashAndReset());
        }

        return new InputFiles(folder, names, hashes, (long)count * bytesEach);
    }

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
