using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>Reads socket options back with getsockopt, so a lesson shows what is really set, not what the code asked for.</summary>
public static unsafe class SocketOptionReader
{
    /// <summary>Reads every option this OS has from a native socket, by canonical name (1 = on, 0 = off).</summary>
    public static IReadOnlyDictionary<string, int> Read(NativeSocket socket) =>
        socket.WindowsSocket is { } windows ? ReadWindows(windows, socket.Constants) : ReadUnix(socket.Descriptor, socket.Constants);

    /// <summary>Reads every option this OS has from a .NET socket's underlying handle, by canonical name.</summary>
    public static IReadOnlyDictionary<string, int> Read(Socket socket)
    {
        var os = NativeConstants.Current;
        return os.Family == OsFamily.Windows ? ReadWindows(socket, os) : ReadUnix((int)socket.Handle, os);
    }

    private static IReadOnlyDictionary<string, int> ReadUnix(int fd, NativeConstants os)
    {
        LibC.EnsureResolver();
        var values = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (option, name) in SocketOptionNames.All)
        {
            if (os.OptionNumber(option) is not { } number)
            {
                continue;
            }
            int value = 0;
            uint length = sizeof(int);
            if (LibC.getsockopt(fd, os.SolSocket, number, &value, &length) != 0)
            {
                throw new NativeSocketException(new StepResult("getsockopt", Errno.FromCurrentOs(Marshal.GetLastPInvokeError())));
            }
            values[name] = value != 0 ? 1 : 0;
        }
        return values;
    }

    private static IReadOnlyDictionary<string, int> ReadWindows(Socket socket, NativeConstants os)
    {
        var values = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var (option, name) in SocketOptionNames.All)
        {
            if (os.OptionNumber(option) is not { } number)
            {
                continue;
            }
            var buffer = new byte[sizeof(int)];
            socket.GetRawSocketOption(os.SolSocket, number, buffer);
            values[name] = BitConverter.ToInt32(buffer) != 0 ? 1 : 0;
        }
        return values;
    }
}
