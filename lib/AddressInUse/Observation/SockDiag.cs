using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AddressInUse.Observation;

/// <summary>Reads Linux's TCP table through netlink sock_diag (what `ss` uses), with the port filter run inside the kernel.</summary>
/// <remarks>
/// Hand-written because no maintained .NET library speaks NETLINK_SOCK_DIAG; the layouts follow linux/inet_diag.h.
/// One request per address family: inet_diag_req_v2 for every state, plus an INET_DIAG_REQ_BYTECODE program
/// "sport = P or dport = P or …" built the way ss builds it (S_COND/D_COND leaves joined by JMP), so the kernel
/// skips the unrelated rows instead of formatting them as /proc/net/tcp does.
/// </remarks>
public static unsafe class SockDiag
{
    /// <summary>Linux's AF_INET (not .NET's AddressFamily numbering, which is Windows').</summary>
    public const byte AfInet = 2;

    /// <summary>Linux's AF_INET6 (10; .NET's AddressFamily.InterNetworkV6 is 23).</summary>
    public const byte AfInet6 = 10;

    private const int AfNetlink = 16;
    private const int SockRaw = 3;
    private const int SockCloexec = 0x80000;
    private const int NetlinkSockDiag = 4;
    private const ushort SockDiagByFamily = 20;
    private const ushort NlmsgError = 2;
    private const ushort NlmsgDone = 3;
    private const ushort NlmFRequest = 0x1;
    private const ushort NlmFDump = 0x300;
    private const ushort InetDiagReqBytecode = 1;
    private const byte BcJmp = 1;
    private const byte BcSCond = 7;
    private const byte BcDCond = 8;
    private const int HeaderLength = 16;
    private const int RequestLength = 56;
    private const int MessageLength = 72;

    /// <summary>Every TCP state from ESTABLISHED (1) to NEW_SYN_RECV (12), as the request's state bit mask.</summary>
    public const uint AllStates = 0x1FFE;

    private static int _sequence;

    static SockDiag() => Native.LibC.EnsureResolver();

    /// <summary>Whether the last attempt to open a sock_diag socket failed (netlink refused here, e.g. by a seccomp filter).</summary>
    public static bool Refused { get; private set; }

    /// <summary>Reads the TCP sockets of both address families whose local or remote port is one of <paramref name="ports"/> (every socket when null).</summary>
    /// <returns>The rows, or null when netlink sock_diag is refused on this machine (the caller falls back to /proc/net/tcp).</returns>
    public static List<TcpEntry>? TryRead(IReadOnlyCollection<int>? ports)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var fd = socket(AfNetlink, SockRaw | SockCloexec, NetlinkSockDiag);
        if (fd < 0)
        {
            Refused = true;
            return null;
        }
        try
        {
            var entries = new List<TcpEntry>();
            var buffer = new byte[64 * 1024];
            foreach (var family in new[] { AfInet, AfInet6 })
            {
                var request = BuildRequest(family, ports, (uint)Interlocked.Increment(ref _sequence));
                fixed (byte* p = request)
                {
                    if (send(fd, p, (nuint)request.Length, 0) != request.Length)
                    {
                        Refused = true;
                        return null;
                    }
                }
                if (!ReceiveDump(fd, buffer, entries))
                {
                    Refused = true;
                    return null;
                }
            }
            Refused = false;
            return entries;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>
    /// Reads every listening TCP socket of this network namespace, both families, with its socket inode (what /proc/&lt;pid&gt;/fd
    /// links name as "socket:[inode]"), so a caller can tell its own listeners from other programs'.
    /// </summary>
    /// <returns>The listeners, or null when netlink sock_diag is refused here or this is not Linux.</returns>
    public static List<(TcpEntry Entry, uint Inode)>? TryReadListeners()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        var fd = socket(AfNetlink, SockRaw | SockCloexec, NetlinkSockDiag);
        if (fd < 0)
        {
            return null;
        }
        try
        {
            var listeners = new List<(TcpEntry, uint)>();
            var buffer = new byte[64 * 1024];
            foreach (var family in new[] { AfInet, AfInet6 })
            {
                var request = BuildRequest(family, null, (uint)Interlocked.Increment(ref _sequence), 1u << 10);
                fixed (byte* p = request)
                {
                    if (send(fd, p, (nuint)request.Length, 0) != request.Length)
                    {
                        return null;
                    }
                }
                var done = false;
                while (!done)
                {
                    var received = Receive(fd, buffer);
                    if (received <= 0)
                    {
                        return null;
                    }
                    var status = ParseMessages(buffer.AsSpan(0, (int)received), message =>
                    {
                        if (ParseDiagMessage(message) is { } entry)
                        {
                            listeners.Add((entry, BinaryPrimitives.ReadUInt32LittleEndian(message[68..])));
                        }
                    });
                    if (status == DumpStatus.Error)
                    {
                        return null;
                    }
                    done = status == DumpStatus.Done;
                }
            }
            return listeners;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>Sends the same filtered dump requests as <see cref="TryRead"/> and only counts the bytes the kernel returns: the floor any sock_diag reader pays (for benchmarks).</summary>
    public static long DumpBytesOnly(IReadOnlyCollection<int>? ports)
    {
        var fd = socket(AfNetlink, SockRaw | SockCloexec, NetlinkSockDiag);
        if (fd < 0)
        {
            return -1;
        }
        try
        {
            long total = 0;
            var buffer = new byte[64 * 1024];
            foreach (var family in new[] { AfInet, AfInet6 })
            {
                var request = BuildRequest(family, ports, (uint)Interlocked.Increment(ref _sequence));
                fixed (byte* p = request)
                {
                    send(fd, p, (nuint)request.Length, 0);
                }
                while (true)
                {
                    nint received;
                    fixed (byte* p = buffer)
                    {
                        received = recv(fd, p, (nuint)buffer.Length, 0);
                    }
                    if (received <= 0)
                    {
                        return -1;
                    }
                    total += received;
                    // The last message of the datagram is NLMSG_DONE when the dump is complete.
                    var last = (int)received - 20;
                    if (received >= 20 && BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(last + 4)) == NlmsgDone)
                    {
                        break;
                    }
                }
            }
            return total;
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>One recv() into the buffer, retried when a signal interrupts it (EINTR); the byte count, 0 at end, or negative on error.</summary>
    private static nint Receive(int fd, byte[] buffer)
    {
        while (true)
        {
            nint received;
            fixed (byte* p = buffer)
            {
                received = recv(fd, p, (nuint)buffer.Length, 0);
            }
            if (received >= 0 || Marshal.GetLastPInvokeError() != 4)
            {
                return received;
            }
        }
    }

    private static bool ReceiveDump(int fd, byte[] buffer, List<TcpEntry> entries)
    {
        while (true)
        {
            var received = Receive(fd, buffer);
            if (received <= 0)
            {
                return false;
            }
            switch (ParseMessages(buffer.AsSpan(0, (int)received), entries))
            {
                case DumpStatus.Done:
                    return true;
                case DumpStatus.Error:
                    return false;
            }
        }
    }

    /// <summary>What a chunk of netlink messages said: more to come, the dump is complete, or the kernel refused it.</summary>
    public enum DumpStatus
    {
        /// <summary>The dump goes on in the next datagram.</summary>
        More,

        /// <summary>NLMSG_DONE was read.</summary>
        Done,

        /// <summary>NLMSG_ERROR was read.</summary>
        Error,
    }

    /// <summary>Parses one datagram of a sock_diag dump (netlink headers, each followed by an inet_diag_msg) into rows.</summary>
    public static DumpStatus ParseMessages(ReadOnlySpan<byte> data, List<TcpEntry> entries) => ParseMessages(data, message =>
    {
        if (ParseDiagMessage(message) is { } entry)
        {
            entries.Add(entry);
        }
    });

    /// <summary>A callback that reads one inet_diag_msg.</summary>
    internal delegate void DiagMessageReader(ReadOnlySpan<byte> message);

    /// <summary>Walks one datagram of a sock_diag dump and hands each inet_diag_msg to <paramref name="read"/>.</summary>
    internal static DumpStatus ParseMessages(ReadOnlySpan<byte> data, DiagMessageReader read)
    {
        var offset = 0;
        while (offset + HeaderLength <= data.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            var type = BinaryPrimitives.ReadUInt16LittleEndian(data[(offset + 4)..]);
            if (length < HeaderLength || offset + length > data.Length)
            {
                return DumpStatus.Error;
            }
            if (type == NlmsgDone)
            {
                return DumpStatus.Done;
            }
            if (type == NlmsgError)
            {
                return DumpStatus.Error;
            }
            if (type == SockDiagByFamily && length >= HeaderLength + MessageLength)
            {
                read(data.Slice(offset + HeaderLength, MessageLength));
            }
            // Messages are aligned to 4 bytes.
            offset += (length + 3) & ~3;
        }
        return DumpStatus.More;
    }

    /// <summary>Parses one inet_diag_msg (72 bytes: family, state, timer, retrans, sockid, expires, rqueue, wqueue, uid, inode).</summary>
    public static TcpEntry? ParseDiagMessage(ReadOnlySpan<byte> message)
    {
        var family = message[0];
        var state = ToState(message[1]);
        var localPort = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var remotePort = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        IPAddress local, remote;
        if (family == AfInet)
        {
            local = new IPAddress(message.Slice(8, 4));
            remote = new IPAddress(message.Slice(24, 4));
        }
        else if (family == AfInet6)
        {
            local = new IPAddress(message.Slice(8, 16));
            remote = new IPAddress(message.Slice(24, 16));
        }
        else
        {
            return null;
        }
        var receive = (int)BinaryPrimitives.ReadUInt32LittleEndian(message[56..]);
        var send = (int)BinaryPrimitives.ReadUInt32LittleEndian(message[60..]);
        // For a listener rqueue/wqueue are the accept queue and backlog, not bytes: report none, as the /proc reader does.
        return new TcpEntry(
            TcpTable.Normalize(new IPEndPoint(local, localPort)),
            TcpTable.Normalize(new IPEndPoint(remote, remotePort)),
            state,
            state == TcpState.Listen ? null : receive,
            state == TcpState.Listen ? null : send);
    }

    /// <summary>The kernel's TCP state number (include/net/tcp_states.h) as a <see cref="TcpState"/>.</summary>
    public static TcpState ToState(int kernelState) => kernelState switch
    {
        1 => TcpState.Established,
        2 => TcpState.SynSent,
        3 => TcpState.SynReceived,
        4 => TcpState.FinWait1,
        5 => TcpState.FinWait2,
        6 => TcpState.TimeWait,
        7 => TcpState.Closed,
        8 => TcpState.CloseWait,
        9 => TcpState.LastAck,
        10 => TcpState.Listen,
        11 => TcpState.Closing,
        12 => TcpState.SynReceived, // TCP_NEW_SYN_RECV: a request socket not yet accepted
        _ => TcpState.Unknown,
    };

    /// <summary>Builds the whole netlink request: nlmsghdr, inet_diag_req_v2 (TCP, every state) and, with ports, the bytecode attribute.</summary>
    public static byte[] BuildRequest(byte family, IReadOnlyCollection<int>? ports, uint sequence) => BuildRequest(family, ports, sequence, AllStates);

    /// <summary>Builds the netlink request for the TCP sockets in the given states (a bit mask, 1 &lt;&lt; kernel state number).</summary>
    public static byte[] BuildRequest(byte family, IReadOnlyCollection<int>? ports, uint sequence, uint states)
    {
        var bytecode = ports is null || ports.Count == 0 ? Array.Empty<byte>() : PortFilter(ports);
        var attribute = bytecode.Length == 0 ? 0 : 4 + bytecode.Length;
        var total = HeaderLength + RequestLength + attribute;
        var request = new byte[total];
        var span = request.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)total);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], SockDiagByFamily);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], NlmFRequest | NlmFDump);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], sequence);
        var body = span[HeaderLength..];
        body[0] = family;
        body[1] = (byte)ProtocolType.Tcp;
        // body[2] ext = 0 (no extensions asked), body[3] pad; then the state mask; the sockid stays zero for a dump.
        BinaryPrimitives.WriteUInt32LittleEndian(body[4..], states);
        if (attribute > 0)
        {
            var attr = span[(HeaderLength + RequestLength)..];
            BinaryPrimitives.WriteUInt16LittleEndian(attr, (ushort)attribute);
            BinaryPrimitives.WriteUInt16LittleEndian(attr[2..], InetDiagReqBytecode);
            bytecode.CopyTo(attr[4..]);
        }
        return request;
    }

    /// <summary>The inet_diag bytecode for "sport = P or dport = P" over every port given, as ss compiles it.</summary>
    public static byte[] PortFilter(IReadOnlyCollection<int> ports)
    {
        byte[]? program = null;
        foreach (var port in ports.Distinct().Reverse())
        {
            program = program is null ? Or(Leaf(BcSCond, port), Leaf(BcDCond, port)) : Or(Or(Leaf(BcSCond, port), Leaf(BcDCond, port)), program);
        }
        return program ?? Array.Empty<byte>();
    }

    // One port condition: op {code, yes = 12, no = 16 (past the end + 4: "false")} and hostcond {AF_UNSPEC, prefix 0, port}.
    private static byte[] Leaf(byte code, int port)
    {
        if (port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, "A TCP port is 0 to 65535.");
        }
        var leaf = new byte[12];
        leaf[0] = code;
        leaf[1] = 12;
        BinaryPrimitives.WriteUInt16LittleEndian(leaf.AsSpan(2), 16);
        BinaryPrimitives.WriteInt32LittleEndian(leaf.AsSpan(8), port);
        return leaf;
    }

    // ss's OR: a, then an unconditional jump over b to "true", then b (a's "false" lands on b).
    private static byte[] Or(byte[] a, byte[] b)
    {
        var result = new byte[a.Length + 4 + b.Length];
        a.CopyTo(result, 0);
        result[a.Length] = BcJmp;
        result[a.Length + 1] = 4;
        BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(a.Length + 2), (ushort)(b.Length + 4));
        b.CopyTo(result, a.Length + 4);
        return result;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int socket(int domain, int type, int protocol);

    [DllImport("libc", SetLastError = true)]
    private static extern nint send(int fd, byte* buffer, nuint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern nint recv(int fd, byte* buffer, nuint length, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
