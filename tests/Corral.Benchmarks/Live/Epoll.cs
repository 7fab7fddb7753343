using System.Buffers.Binary;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Corral.Benchmarks.Live;

/// <summary>
/// A Linux epoll instance (level-triggered, readable only): which of many sockets have bytes waiting, in one system
/// call however many are watched.
/// </summary>
/// <remarks>
/// Why not the runtime's sockets: every asynchronous receive costs an epoll wake-up, a thread-pool hop and a
/// continuation per message (about 30 µs of CPU on this machine's cores, shared with the servers being measured).
/// One thread that waits here and then reads the ready sockets without blocking does the same work for a few µs.
/// </remarks>
internal sealed partial class Epoll : IDisposable
{
    private const int EpollCloexec = 0x80000;
    private const int EpollCtlAdd = 1;
    private const int EpollCtlDel = 2;
    private const uint EpollIn = 0x001;
    private const int Interrupted = 4;

    /// <summary>The kernel's struct epoll_event: packed (12 bytes) on x86-64, naturally aligned (16) elsewhere.</summary>
    private static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private readonly int _descriptor;
    private readonly byte[] _events;

    public Epoll(int maxEventsPerWait)
    {
        _descriptor = Check(epoll_create1(EpollCloexec), "epoll_create1");
        _events = new byte[maxEventsPerWait * EventSize];
    }

    /// <summary>Watches <paramref name="fileDescriptor"/> for bytes to read; <paramref name="token"/> comes back with each readiness.</summary>
    public unsafe void Add(nint fileDescriptor, int token)
    {
        Span<byte> entry = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(entry, EpollIn);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[(EventSize - 8)..], (ulong)token);
        fixed (byte* e = entry)
        {
            Check(epoll_ctl(_descriptor, EpollCtlAdd, (int)fileDescriptor, e), "epoll_ctl(ADD)");
        }
    }

    /// <summary>Stops watching <paramref name="fileDescriptor"/>; one already closed or never added is no error.</summary>
    public unsafe void Remove(nint fileDescriptor) => _ = epoll_ctl(_descriptor, EpollCtlDel, (int)fileDescriptor, null);

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> for ready sockets and writes their tokens to <paramref name="tokens"/>;
    /// returns how many (0 on timeout or when a signal interrupted the wait).
    /// </summary>
    public unsafe int Wait(Span<int> tokens, int timeoutMs)
    {
        var max = Math.Min(tokens.Length, _events.Length / EventSize);
        int ready;
        fixed (byte* e = _events)
        {
            ready = epoll_wait(_descriptor, e, max, timeoutMs);
        }

        if (ready < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            return error == Interrupted ? 0 : throw new Win32Exception(error, "epoll_wait");
        }

        for (var i = 0; i < ready; i++)
        {
            tokens[i] = (int)BinaryPrimitives.ReadUInt64LittleEndian(_events.AsSpan((i * EventSize) + EventSize - 8, 8));
        }

        return ready;
    }

    public void Dispose() => _ = close(_descriptor);

    private static int Check(int result, string call) =>
        result >= 0 ? result : throw new Win32Exception(Marshal.GetLastPInvokeError(), call);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int epoll_create1(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int epoll_ctl(int epfd, int op, int fd, byte* @event);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int epoll_wait(int epfd, byte* events, int maxevents, int timeout);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);
}
