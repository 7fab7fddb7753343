using System.Diagnostics;

namespace Corral.Benchmarks.Faults;

/// <summary>
/// A small file system of the suite's own (a tmpfs of <see cref="SizeMiB"/> MiB) for the host agent's JOB_OUTPUT_DIR,
/// so that filling it (output_disk_full) fills nothing else on the machine. <see cref="FillAsync"/> takes every free
/// byte with one file; <see cref="Free"/> gives the space back.
/// </summary>
public sealed class OutputFileSystem : IAsyncDisposable
{
    public const int SizeMiB = 64;

    private OutputFileSystem(string path)
    {
        Path = path;
    }

    public string Path { get; }

    private string Filler => System.IO.Path.Combine(Path, "filler");

    public static async Task<OutputFileSystem> MountAsync()
    {
        var path = "/tmp/corral-faults-output-" + Guid.NewGuid().ToString("N")[..8];
        Directory.CreateDirectory(path);
        await RunAsync("mount", "-t", "tmpfs", "-o", $"size={SizeMiB}m,mode=0755", "tmpfs", path);
        return new OutputFileSystem(path);
    }

    /// <summary>Writes one file until the file system is full; returns the bytes it took.</summary>
    public async Task<long> FillAsync()
    {
        var chunk = new byte[1 << 20];
        Random.Shared.NextBytes(chunk);
        await using var filler = new FileStream(Filler, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        try
        {
            while (true)
            {
                await filler.WriteAsync(chunk);
                await filler.FlushAsync();
            }
        }
        catch (IOException)
        {
            // ENOSPC: full. What did fit stays.
        }

        return new FileInfo(Filler).Length;
    }

    public void Free() => File.Delete(Filler);

    public async ValueTask DisposeAsync()
    {
        await RunAsync("umount", "-l", Path);
        Directory.Delete(Path);
    }

    private static async Task RunAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(arguments[0], arguments[1..]) { RedirectStandardError = true })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', arguments)} exited {process.ExitCode}: {errors}");
        }
    }
}
