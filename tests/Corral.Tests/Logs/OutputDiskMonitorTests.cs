using System.Diagnostics;
using Corral.HostAgent;
using Corral.HostAgent.Jobs;
using Corral.HostAgent.Logs;
using Corral.Jobs;
using Corral.Workers;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Corral.Tests.Logs;

/// <summary>
/// The output disk monitor on a real, small file system (a tmpfs of its own): a job is ended with a reason naming the
/// setting when JOB_OUTPUT_DIR fills up while it runs, and never started onto a full one.
/// </summary>
public sealed class OutputDiskMonitorTests : IAsyncLifetime
{
    private const long MinimumFree = 4L << 20;

    private readonly string _mount = Path.Combine(Path.GetTempPath(), "corral-output-disk-" + Guid.NewGuid().ToString("N")[..8]);
    private OutputDiskMonitor _monitor = null!;
    private JobOutputFiles _files = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_mount);
        await RunAsync("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", _mount);
        var settings = new HostAgentSettings(
            "disk", "127.0.0.1", new Uri("unix:///var/run/docker.sock"), 0, 0, [], SshCaps.Uncapped, false, null,
            JobOutputDirectory: _mount, JobOutputMinFreeBytes: MinimumFree);
        _files = new JobOutputFiles(settings);
        Directory.CreateDirectory(_files.Folder);
        _monitor = new OutputDiskMonitor(_files, settings, TimeProvider.System, NullLogger<OutputDiskMonitor>.Instance);
    }

    public async Task DisposeAsync()
    {
        await RunAsync("umount", "-l", _mount);
        Directory.Delete(_mount);
    }

    [Fact]
    public async Task ARunningJob_IsEndedOutputDiskFull_OnceTheDiskFillsUp()
    {
        var kills = new List<(TerminationReason Reason, string Message)>();
        await using (await _monitor.StartAsync(Context(kills), CancellationToken.None))
        {
            await Task.Delay(OutputDiskMonitor.CheckInterval * 2);
            Assert.Empty(kills);

            Fill();
            var waited = Stopwatch.StartNew();
            while (kills.Count == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }
        }

        var (reason, message) = Assert.Single(kills);
        Assert.Equal(TerminationReason.OutputDiskFull, reason);
        Assert.Contains("JOB_OUTPUT_MIN_FREE_BYTES", message, StringComparison.Ordinal);
        Assert.Contains(_files.Folder, message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AJob_IsNotStartedOntoAFullDisk()
    {
        Fill();
        var kills = new List<(TerminationReason Reason, string Message)>();

        // Ended before StartAsync returns: the supervisor starts no container for a job a monitor killed.
        await using (await _monitor.StartAsync(Context(kills), CancellationToken.None))
        {
            Assert.Equal(TerminationReason.OutputDiskFull, Assert.Single(kills).Reason);
        }
    }

    [Fact]
    public async Task AJob_StartsAgain_OnceSpaceIsBack()
    {
        Fill();
        File.Delete(Path.Combine(_mount, "filler"));
        var kills = new List<(TerminationReason Reason, string Message)>();

        await using (await _monitor.StartAsync(Context(kills), CancellationToken.None))
        {
            await Task.Delay(OutputDiskMonitor.CheckInterval * 2);
        }

        Assert.Empty(kills);
    }

    private static JobMonitorContext Context(List<(TerminationReason, string)> kills) =>
        new(new SupervisedJob("0123456789abcdef0123456789abcdef", "disk") { ContainerId = "no-container" }, (reason, message) =>
        {
            lock (kills)
            {
                kills.Add((reason, message));
            }

            return Task.CompletedTask;
        });

    /// <summary>Writes one file until the tmpfs is full.</summary>
    private void Fill()
    {
        var chunk = new byte[1 << 20];
        using var filler = new FileStream(Path.Combine(_mount, "filler"), FileMode.Create);
        try
        {
            while (true)
            {
                filler.Write(chunk);
                filler.Flush();
            }
        }
        catch (IOException)
        {
            // Full.
        }

        Assert.True(OutputDiskMonitor.FreeBytes(_files.Folder) < MinimumFree);
    }

    private static async Task RunAsync(params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(arguments[0], arguments[1..]) { RedirectStandardError = true })!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{string.Join(' ', arguments)}: {errors}");
    }
}
