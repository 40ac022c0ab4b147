using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>
/// A classic BPF socket filter (SO_ATTACH_FILTER) that lets a socket see only packets from loopback sources: an IPv4 source in
/// 127.0.0.0/8, an IPv6 source ::1 or a v4-mapped ::ffff:127.0.0.0/104. Attached to a wildcard socket (0.0.0.0, or [::] with
/// IPv4 arriving on it as well) before it binds, the kernel drops every SYN or datagram from another address, so a wildcard
/// listener of the course never completes a handshake with a peer outside this machine's loopback. Linux only.
/// </summary>
/// <remarks>Hand-written because .NET has no API for socket filters; the program is 21 instructions of linux/filter.h. It reads
/// the IP version from the packet itself, because a dual-stack [::] socket receives IPv4 packets with IPv4 headers.</remarks>
public static unsafe class LoopbackOnlyFilter
{
    private const int SolSocket = 1;
    private const int SoAttachFilter = 26;
    private const int SoGetFilter = SoAttachFilter;

    // BPF_LD|BPF_W|BPF_ABS, BPF_LD|BPF_B|BPF_ABS, BPF_ALU|BPF_AND|BPF_K, BPF_ALU|BPF_RSH|BPF_K, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K.
    private const ushort LoadWord = 0x20, LoadByte = 0x30, And = 0x54, ShiftRight = 0x74, JumpIfEqual = 0x15, Return = 0x06;

    // SKF_NET_OFF (-0x100000) addresses the packet from its IP header, whatever layer the socket reads at.
    private const int Net = -0x100000;

    // Offsets in the IP header: the version nibble at 0; IPv4's source at 12; IPv6's 16-byte source at 8 (words at 8, 12, 16, 20).
    private static uint At(int offset) => unchecked((uint)(Net + offset));

    /// <summary>The filter's instructions as struct sock_filter values (code, jt, jf, k); jumps count instructions skipped.</summary>
    private static readonly ulong[] Program =
    [
        /* 0 */ Instruction(LoadByte, 0, 0, At(0)),
        /* 1 */ Instruction(ShiftRight, 0, 0, 4),
        /* 2 */ Instruction(JumpIfEqual, 1, 0, 4),           // IPv4 -> 4
        /* 3 */ Instruction(JumpIfEqual, 3, 16, 6),          // IPv6 -> 7, anything else -> drop
        /* 4 */ Instruction(LoadWord, 0, 0, At(12)),         // IPv4 source
        /* 5 */ Instruction(And, 0, 0, 0xFF000000),
        /* 6 */ Instruction(JumpIfEqual, 12, 13, 0x7F000000), // 127/8 -> accept, else drop
        /* 7 */ Instruction(LoadWord, 0, 0, At(8)),          // IPv6 source, word 0
        /* 8 */ Instruction(JumpIfEqual, 0, 11, 0),
        /* 9 */ Instruction(LoadWord, 0, 0, At(12)),         // word 1
        /* 10 */ Instruction(JumpIfEqual, 0, 9, 0),
        /* 11 */ Instruction(LoadWord, 0, 0, At(16)),        // word 2: 0 for ::1, 0000ffff for v4-mapped
        /* 12 */ Instruction(JumpIfEqual, 0, 2, 0),
        /* 13 */ Instruction(LoadWord, 0, 0, At(20)),        // ::1?
        /* 14 */ Instruction(JumpIfEqual, 4, 5, 1),
        /* 15 */ Instruction(JumpIfEqual, 0, 4, 0x0000FFFF),
        /* 16 */ Instruction(LoadWord, 0, 0, At(20)),        // ::ffff:127.x.y.z?
        /* 17 */ Instruction(And, 0, 0, 0xFF000000),
        /* 18 */ Instruction(JumpIfEqual, 0, 1, 0x7F000000),
        /* 19 */ Instruction(Return, 0, 0, 0xFFFFFFFF),      // accept
        /* 20 */ Instruction(Return, 0, 0, 0),               // drop
    ];

    /// <summary>How many instructions the filter has (what <see cref="InstructionCount(Socket)"/> reads back from a filtered socket).</summary>
    public static int Length => Program.Length;
    /// <summary>Whether this OS has socket filters (Linux).</summary>
    public static bool Supported => OperatingSystem.IsLinux();

    /// <summary>Attaches the filter to a socket by descriptor; returns 0 or the errno.</summary>
    public static int Attach(int fd)
    {
        fixed (ulong* filter = Program)
        {
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }, the pointer 8-aligned on 64-bit.
            var program = stackalloc byte[16];
            *(ushort*)program = (ushort)Program.Length;
            *(ulong**)(program + 8) = filter;
            return LibC.setsockopt(fd, SolSocket, SoAttachFilter, program, (uint)(IntPtr.Size == 8 ? 16 : 8)) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }
    }

    /// <summary>Attaches the filter to a .NET socket; returns 0 or the errno.</summary>
    public static int Attach(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return Attach((int)socket.Handle);
    }

    /// <summary>How many instructions the socket's filter has (0 when none is attached), read back with getsockopt(SO_GET_FILTER).</summary>
    public static int InstructionCount(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return InstructionCount((int)socket.Handle);
    }

    /// <summary>How many instructions the filter of the socket with this descriptor has (0 when none is attached).</summary>
    public static int InstructionCount(int fd)
    {
        uint count = 0;
        // With a zero length the kernel only reports the filter's length, in instructions.
        return LibC.getsockopt(fd, SolSocket, SoGetFilter, null, &count) == 0 ? (int)count : -Marshal.GetLastPInvokeError();
    }

    private static ulong Instruction(ushort code, byte jumpIfTrue, byte jumpIfFalse, uint k) =>
        code | ((ulong)jumpIfTrue << 16) | ((ulong)jumpIfFalse << 24) | ((ulong)k << 32);
}
