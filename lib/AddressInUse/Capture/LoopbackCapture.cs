using System.Runtime.InteropServices;

namespace AddressInUse.Capture;

/// <summary>One frame as the packet socket delivered it: when the kernel stamped it, which copy it was, and the IP packet's bytes.</summary>
/// <param name="UnixMicroseconds">The kernel's receive stamp of the frame (CLOCK_REALTIME, µs since 1970), read with SIOCGSTAMP.</param>
/// <param name="Outgoing">True for the copy lo hands to the packet taps as it sends (PACKET_OUTGOING), false for the copy as lo delivers it (PACKET_HOST).</param>
/// <param name="Bytes">The IPv4 packet, from its IP header on (a SOCK_DGRAM packet socket strips lo's empty Ethernet header).</param>
public sealed record CapturedFrame(long UnixMicroseconds, bool Outgoing, byte[] Bytes);

/// <summary>What the packet socket counted while it ran (PACKET_STATISTICS).</summary>
/// <param name="Delivered">Frames the kernel queued to the socket (both copies on lo).</param>
/// <param name="Dropped">Frames the kernel dropped because the socket's buffer was full; 0 means nothing was missed.</param>
public sealed record CaptureStatistics(long Delivered, long Dropped);

/// <summary>
/// Captures every IPv4 packet on the lab's <c>lo</c> with an AF_PACKET socket, on a thread of its own, until disposed.
/// Only the lab's child uses it: inside the private namespace, lo carries the lab's own connections and nothing else.
/// </summary>
/// <remarks>
/// Hand-written on libc rather than SharpPcap: the lab already calls libc, an AF_PACKET socket is four calls, and libpcap
/// would be one more native part to install on every machine. On lo each packet passes the taps twice (as sent, as
/// received); <see cref="Frames"/> keeps both and <see cref="SegmentParser"/> keeps the copy as received.
/// </remarks>
public sealed unsafe class LoopbackCapture : IDisposable
{
    private const int AfPacket = 17, SockDgram = 2, SolSocket = 1, SoRcvbuf = 8, SoRcvtimeo = 20, SolPacket = 263, PacketStatistics = 6;
    private const ushort EthPAll = 0x0003, EthPIp = 0x0800;
    private const ulong SiocGStamp = 0x8906;
    private const byte PacketOutgoing = 4;

    private readonly int _fd;
    private readonly Thread _reader;
    private readonly List<CapturedFrame> _frames = [];
    private long _delivered, _dropped;
    private volatile bool _stopping;
    private Exception? _failure;
    private bool _disposed;

    private LoopbackCapture(int fd)
    {
        _fd = fd;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "lab packet capture" };
        _reader.Start();
    }

    /// <summary>Opens the packet socket on lo and starts reading; fails with a clear message where packet sockets are refused.</summary>
    public static LoopbackCapture Start(string interfaceName = "lo")
    {
        Native.LibC.EnsureResolver();
        var index = if_nametoindex(interfaceName);
        if (index == 0)
        {
            throw new InvalidOperationException($"No interface called {interfaceName} here (if_nametoindex: errno {Marshal.GetLastPInvokeError()}).");
        }
        // ETH_P_ALL, not ETH_P_IP: only ETH_P_ALL taps see lo's outgoing copy too, so the capture can show the two copies
        // and keep one on purpose (an ETH_P_IP socket gets only the copy as received).
        var protocol = Swap(EthPAll);
        var fd = socket(AfPacket, SockDgram, protocol);
        if (fd < 0)
        {
            throw new InvalidOperationException($"socket(AF_PACKET) failed: errno {Marshal.GetLastPInvokeError()}; packet capture needs CAP_NET_RAW, which the lab's own namespace gives.");
        }
        try
        {
            // struct sockaddr_ll: family (2), protocol (2, network order), ifindex (4), hatype, pkttype, halen, addr[8].
            var address = stackalloc byte[20];
            new Span<byte>(address, 20).Clear();
            *(ushort*)address = AfPacket;
            *(ushort*)(address + 2) = protocol;
            *(int*)(address + 4) = (int)index;
            if (bind(fd, address, 20) != 0)
            {
                throw new InvalidOperationException($"bind(AF_PACKET, {interfaceName}) failed: errno {Marshal.GetLastPInvokeError()}.");
            }
            // The largest buffer net.core.rmem_max allows (the kernel caps it); PACKET_STATISTICS reports any drop anyway.
            var size = 8 << 20;
            setsockopt(fd, SolSocket, SoRcvbuf, &size, sizeof(int));
            // A read that waits at most 20 ms, so that Dispose can stop the thread without a signal.
            var timeout = stackalloc long[2] { 0, 20_000 };
            setsockopt(fd, SolSocket, SoRcvtimeo, timeout, 16);
            // Until a socket asks for timestamps the kernel stamps no frame as it arrives (netstamp_needed_key is off), and
            // SIOCGSTAMP then returns the time of the read: late by however long the reader thread waited. The first SIOCGSTAMP
            // turns stamping on (sock_gettstamp → sock_enable_timestamp) and fails with ENOENT, as nothing was read yet.
            var none = stackalloc long[2];
            ioctl(fd, SiocGStamp, none);
            return new LoopbackCapture(fd);
        }
        catch
        {
            close(fd);
            throw;
        }
    }

    private static ushort Swap(ushort value) => (ushort)((value >> 8) | ((value & 0xff) << 8));

    /// <summary>Every frame so far, both copies, in the order the socket delivered them.</summary>
    public IReadOnlyList<CapturedFrame> Frames
    {
        get
        {
            lock (_frames)
            {
                return _frames.ToArray();
            }
        }
    }

    /// <summary>The kernel's counts, read when the capture stopped (zero before).</summary>
    public CaptureStatistics Statistics => new(_delivered, _dropped);

    /// <summary>Waits until the socket's queue holds nothing more, then stops reading and closes the socket; returns every frame.</summary>
    public IReadOnlyList<CapturedFrame> Stop()
    {
        if (!_disposed)
        {
            _disposed = true;
            _stopping = true;
            _reader.Join();
            var stats = stackalloc uint[2];
            var length = 8u;
            if (getsockopt(_fd, SolPacket, PacketStatistics, stats, &length) == 0)
            {
                // Reading PACKET_STATISTICS resets them; read once, here.
                _delivered = stats[0];
                _dropped = stats[1];
            }
            close(_fd);
            if (_failure is not null)
            {
                throw new InvalidOperationException($"The packet capture failed: {_failure.Message}", _failure);
            }
        }
        return Frames;
    }

    /// <summary>Stops the capture (see <see cref="Stop"/>).</summary>
    public void Dispose() => Stop();

    private void ReadLoop()
    {
        try
        {
            var buffer = new byte[65536];
            var from = new byte[20];
            var stamp = new long[2];
            fixed (byte* data = buffer, address = from)
            fixed (long* time = stamp)
            {
                while (true)
                {
                    var length = 20u;
                    var n = recvfrom(_fd, data, (nuint)buffer.Length, 0, address, &length);
                    if (n < 0)
                    {
                        // EAGAIN after the 20 ms timeout: the queue is empty, so a stop loses nothing.
                        if (_stopping)
                        {
                            return;
                        }
                        continue;
                    }
                    ioctl(_fd, SiocGStamp, time);
                    if (*(ushort*)(address + 2) != Swap(EthPIp))
                    {
                        continue; // IPv6 or anything else on lo: the lab's connections are IPv4
                    }
                    var frame = new CapturedFrame(time[0] * 1_000_000 + time[1], address[10] == PacketOutgoing, buffer.AsSpan(0, (int)n).ToArray());
                    lock (_frames)
                    {
                        _frames.Add(frame);
                    }
                }
            }
        }
        catch (Exception e)
        {
            _failure = e;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern uint if_nametoindex(string name);

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern int bind(int fd, byte* address, uint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int setsockopt(int fd, int level, int name, void* value, uint length);

    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int fd, int level, int name, void* value, uint* length);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recvfrom(int fd, byte* buffer, nuint length, int flags, byte* address, uint* addressLength);

    [DllImport("libc", SetLastError = true)]
    private static extern int ioctl(int fd, ulong request, long* argument);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
