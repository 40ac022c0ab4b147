using System.Net;
using System.Net.Sockets;

namespace AddressInUse.Native;

/// <summary>Tries to start a TCP server on a loopback port the way a program would, and says which step refused it.</summary>
public static class LoopbackServer
{
    /// <summary>
    /// Binds and listens on 127.0.0.1:<paramref name="port"/>, then closes again: through the OS's own calls with exactly
    /// <paramref name="options"/> when <paramref name="native"/>, else through plain .NET (whose Bind adds its own options).
    /// </summary>
    /// <returns>"listen: ok", or the first step that failed with the OS's errno.</returns>
    public static StepResult TryStart(int port, bool native, SocketOptionSet options, int backlog)
    {
        var endPoint = new IPEndPoint(IPAddress.Loopback, port);
        if (native)
        {
            using var socket = NativeSocket.Create();
            socket.SetOptions(options).ThrowIfFailed();
            var bind = socket.Bind(endPoint);
            return bind.Ok ? socket.Listen(backlog) : bind;
        }
        using var dotnet = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var dotnetBind = StepResult.Of("bind", () => dotnet.Bind(endPoint));
        return dotnetBind.Ok ? StepResult.Of("listen", () => dotnet.Listen(backlog)) : dotnetBind;
    }
}
