using System.Collections.Immutable;
using Corral.Jobs;
using Corral.Workers;

namespace Corral.Resources;

/// <summary>
/// GPU matching shared by the dispatcher and the host agent, so both agree on what a request means:
/// type normalization, the per-device memory floor, the unified-memory fallback and subset choice.
/// </summary>
public static class GpuMatcher
{
    private static readonly string[] VendorWords = ["NVIDIA", "GEFORCE", "TESLA", "QUADRO", "AMD", "RADEON"];

    /// <summary>"NVIDIA H100 80GB HBM3" -> ["H100", "80GB", "HBM3"]: upper-case tokens without vendor words.</summary>
    public static ImmutableArray<string> NormalizeType(string name) =>
        [.. name.ToUpperInvariant()
            .Split([' ', '-', '_', '/'], StringSplitOptions.RemoveEmptyEntries)
            .Where(token => !VendorWords.Contains(token))];

    /// <summary>A device matches a requested type when every token of the request is one of the device's.</summary>
    public static bool TypeMatches(string deviceName, string? requestedType)
    {
        if (string.IsNullOrWhiteSpace(requestedType))
        {
            return true;
        }

        var device = NormalizeType(deviceName);
        return NormalizeType(requestedType).All(device.Contains);
    }

    /// <summary>
    /// A device's usable memory. Unified-memory devices (Grace Hopper, Jetson) report none of their own;
    /// for them the host's memory is what a kernel can allocate.
    /// </summary>
    public static long UsableMemory(GpuDevice device, long hostMemoryBytes) =>
        device.MemoryBytes > 0 ? device.MemoryBytes : hostMemoryBytes;

    public static bool DeviceMatches(GpuDevice device, GpuRequest request, long hostMemoryBytes) =>
        TypeMatches(device.Name, request.Type)
        && (request.MemoryBytes is not { } floor || UsableMemory(device, hostMemoryBytes) >= floor);

    /// <summary>
    /// The smallest satisfying subset: the <c>Count</c> matching devices with the least memory (ties by index),
    /// so bigger devices stay free for requests that need them. Empty when not enough devices match.
    /// </summary>
    public static ImmutableArray<GpuDevice> ChooseSubset(
        IEnumerable<GpuDevice> available, GpuRequest request, long hostMemoryBytes)
    {
        if (request.Count <= 0)
        {
            return [];
        }

        var matching = available
            .Where(d => DeviceMatches(d, request, hostMemoryBytes))
            .OrderBy(d => UsableMemory(d, hostMemoryBytes))
            .ThenBy(d => d.Index)
            .Take(request.Count)
            .ToImmutableArray();
        return matching.Length == request.Count ? matching : [];
    }

    /// <summary>CUDA_VISIBLE_DEVICES as the container sees its mounted devices: always 0..N-1.</summary>
    public static string VisibleDevices(int count) => string.Join(',', Enumerable.Range(0, count));
}
