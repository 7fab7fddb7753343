using System.Globalization;

namespace Corral.Gateway.Live;

/// <summary>
/// The runtime setting that SignalR fan-out to many connections needs: the shared array pool's size. The runtime
/// reads it from the environment once, on the pool's first use, so <see cref="Apply"/> runs first thing in the
/// gateway. A value the operator set in the environment is kept.
/// </summary>
/// <remarks>
/// Measured with <c>deploy/bench.sh live</c> (1,000 clients on the servers' two cores; see NOTES.md, benchmarks).
/// Tried beside it and not kept: socket completions on the polling thread
/// (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS</c>), within this machine's run-to-run spread.
/// </remarks>
public static class FanOutRuntimeSettings
{
    /// <summary>How many arrays of one size each core's part of the shared array pool keeps.</summary>
    /// <remarks>
    /// SignalR gives each connection a pipe, and every message written to it takes a 4 KiB buffer from the shared
    /// pool until the transport has sent it. A group send writes to every connection before the first send completes,
    /// so a fan-out to 1,000 connections holds 1,000 buffers at once, while the pool keeps only 32 of a size per core:
    /// the rest were allocated afresh and dropped. An allocation trace showed 149 MB in 30 s, 99% of it these buffers,
    /// and a gen0 collection every few seconds that paused the gateway 10-95 ms in the middle of fan-outs; with room
    /// for 4,096 buffers, 1.6 MB in 30 s and no collection while the benchmark ran.
    /// </remarks>
    public const string ArraysPerCoreVariable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    /// <summary>
    /// Buffers kept across all cores: a fan-out to this many connections allocates none. At most 16 MiB, kept only
    /// once a fan-out that large has happened; the pool gives them back under memory pressure.
    /// </summary>
    public const int Buffers = 4096;

    /// <summary>The runtime's own default per core.</summary>
    private const int RuntimeDefaultArraysPerCore = 32;

    public static void Apply()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ArraysPerCoreVariable)))
        {
            Environment.SetEnvironmentVariable(ArraysPerCoreVariable, ArraysPerCore(Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Arrays of one size each core's part keeps so that all parts together keep <see cref="Buffers"/>.</summary>
    public static int ArraysPerCore(int cores) => Math.Max(RuntimeDefaultArraysPerCore, Buffers / Math.Max(1, cores));
}
