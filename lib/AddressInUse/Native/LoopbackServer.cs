using System.Net;
using System.Net.Sockets;

namespace AddressInUse.Native;

/// <summary>A TCP server on a loopback port: started the way a program would (saying which step refused it), or made to leave TIME_WAIT behind.</summary>
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

    /// <summary>
    /// Makes one short connection to <paramref name="listener"/> that the server closes first: the accepted end shuts down,
    /// the client closes once it has read that FIN, so the TIME_WAIT entry lands on the server's port.
    /// </summary>
    public static async Task ServerClosesFirstAsync(Socket listener, CancellationToken cancellationToken = default)
    {
        using var client = new Socket(listener.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
        using (var server = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false))
        {
            server.Shutdown(SocketShutdown.Both);
        }
        await client.ReceiveAsync(new byte[1], SocketFlags.None, cancellationToken).ConfigureAwait(false);
    }
}
