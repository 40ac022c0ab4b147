using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AddressInUse.Observation;

/// <summary>The state of one of the course's own open TCP sockets, asked of the kernel with getsockopt(TCP_INFO): exact, and with no table walk.</summary>
public static unsafe class TcpInfo
{
    private const int IpprotoTcp = 6;
    private const int TcpInfoOption = 11;

    static TcpInfo() => Native.LibC.EnsureResolver();

    /// <summary>The socket's TCP state right now, or null where TCP_INFO is not available (not Linux, or the socket is closed).</summary>
    public static TcpState? TryGetState(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!OperatingSystem.IsLinux() || socket.SafeHandle.IsInvalid || socket.SafeHandle.IsClosed)
        {
            return null;
        }
        return TryGetState((int)socket.Handle);
    }

    /// <summary>The TCP state of an open file descriptor, or null when getsockopt refuses.</summary>
    public static TcpState? TryGetState(int fd)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }
        // struct tcp_info starts with u8 tcpi_state; a short buffer is allowed, the kernel copies what fits.
        var buffer = stackalloc byte[104];
        uint length = 104;
        return getsockopt(fd, IpprotoTcp, TcpInfoOption, buffer, &length) == 0 && length >= 1 ? SockDiag.ToState(buffer[0]) : null;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int getsockopt(int fd, int level, int name, void* value, uint* length);
}
