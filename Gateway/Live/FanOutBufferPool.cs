using System.Globalization;

namespace Corral.Gateway.Live;

/// <summary>
/// Sizes the process's shared byte-array pool for SignalR fan-out. Must run before anything rents from
/// <see cref="System.Buffers.ArrayPool{T}.Shared"/>: the pool reads its limits from the environment once, on first use.
/// </summary>
/// <remarks>
/// SignalR gives each connection a pipe, and every message written to it takes a 4 KiB buffer from the shared pool
/// until the transport has sent it. A group send writes to every connection before the first send completes, so a
/// fan-out to 1,000 connections holds 1,000 buffers at once, while the pool keeps only 32 of a size per core: the
/// rest were allocated afresh and dropped. Measured during <c>deploy/bench.sh live</c> with an allocation trace:
/// 149 MB in 30 s, 99% of it these buffers, and a gen0 collection every few seconds that paused the gateway 10-95 ms,
/// in the middle of fan-outs. With room for 4,096 buffers: 1.6 MB in 30 s. An operator's own setting is kept.
/// </remarks>
public static class FanOutBufferPool
{
    /// <summary>The runtime's setting for how many arrays of one size each core's part of the shared pool keeps.</summary>
    public const string Variable = "DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION";

    /// <summary>
    /// Buffers kept across all cores: a fan-out to this many connections allocates none. At most 16 MiB, kept only
    /// once a fan-out that large has happened; the pool gives them back under memory pressure.
    /// </summary>
    public const int Buffers = 4096;

    /// <summary>The runtime's own default per core.</summary>
    private const int RuntimeDefault = 32;

    public static void Configure()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
        {
            Environment.SetEnvironmentVariable(Variable, PerCore(Environment.ProcessorCount).ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Arrays of one size each core's part keeps so that all parts together keep <see cref="Buffers"/>.</summary>
    public static int PerCore(int cores) => Math.Max(RuntimeDefault, Buffers / Math.Max(1, cores));
}
