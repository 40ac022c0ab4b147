using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>
/// A classic BPF socket filter (SO_ATTACH_FILTER) that lets a socket see only packets from 127.0.0.0/8: attached to an IPv4
/// wildcard socket before it binds, the kernel drops every SYN or datagram from another address, so a wildcard listener of
/// the course never completes a handshake with a peer outside this machine's loopback. Linux only.
/// </summary>
/// <remarks>Hand-written because .NET has no API for socket filters; the program is four instructions of linux/filter.h.</remarks>
public static unsafe class LoopbackOnlyFilter
{
    private const int SolSocket = 1;
    private const int SoAttachFilter = 26;
    private const int SoGetFilter = SoAttachFilter;

    // BPF_LD|BPF_W|BPF_ABS, BPF_ALU|BPF_AND|BPF_K, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K.
    private const ushort LoadWord = 0x20, And = 0x54, JumpIfEqual = 0x15, Return = 0x06;

    // SKF_NET_OFF (-0x100000) addresses the packet from its IP header, whatever layer the socket reads at; 12 is the IPv4 source.
    private const uint SourceAddress = unchecked((uint)(-0x100000 + 12));

    /// <summary>The filter's instructions as struct sock_filter values (code, jt, jf, k).</summary>
    private static readonly ulong[] Program =
    [
        Instruction(LoadWord, 0, 0, SourceAddress),
        Instruction(And, 0, 0, 0xFF000000),
        Instruction(JumpIfEqual, 0, 1, 0x7F000000),
        Instruction(Return, 0, 0, 0xFFFFFFFF),
        Instruction(Return, 0, 0, 0),
    ];

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
        uint count = 0;
        // With a zero length the kernel only reports the filter's length, in instructions.
        return LibC.getsockopt((int)socket.Handle, SolSocket, SoGetFilter, null, &count) == 0 ? (int)count : -Marshal.GetLastPInvokeError();
    }

    private static ulong Instruction(ushort code, byte jumpIfTrue, byte jumpIfFalse, uint k) =>
        code | ((ulong)jumpIfTrue << 16) | ((ulong)jumpIfFalse << 24) | ((ulong)k << 32);
}
