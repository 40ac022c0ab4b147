using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Experiments.Teardown;

/// <summary>
/// One TCP connection on loopback inside this process: a listener bound through the OS's own bind() with exactly the
/// given options, the accepted server end and the client end, all sampled on one timeline.
/// </summary>
internal sealed class LoopbackConnection : IAsyncDisposable
{
    internal static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    private LoopbackConnection(Timeline timeline, TcpSampler sampler, Socket listener, Socket server, Socket client, SocketOptionSet options)
    {
        Timeline = timeline;
        Sampler = sampler;
        Listener = listener;
        Server = server;
        Client = client;
        Options = options;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        ServerEnd = (IPEndPoint)server.LocalEndPoint!;
        ClientEnd = (IPEndPoint)client.LocalEndPoint!;
    }

    public Timeline Timeline { get; }
    public TcpSampler Sampler { get; }
    public Socket? Listener { get; private set; }
    public Socket? Server { get; private set; }
    public Socket? Client { get; private set; }
    public SocketOptionSet Options { get; }
    public int Port { get; }
    public IPEndPoint ServerEnd { get; }
    public IPEndPoint ClientEnd { get; }
    public string ServerKey => $"{ServerEnd}>{ClientEnd}";
    public string ClientKey => $"{ClientEnd}>{ServerEnd}";

    public bool IsServerEnd(TcpEntry e) => e.Local.Equals(ServerEnd) && e.Remote.Equals(ClientEnd);
    public bool IsClientEnd(TcpEntry e) => e.Local.Equals(ClientEnd) && e.Remote.Equals(ServerEnd);

    /// <summary>Opens a connection; buffer sizes, when given, are set on both ends before the handshake (small buffers fill quickly).</summary>
    public static async Task<LoopbackConnection> OpenAsync(
        IPAddress address, SocketOptionSet listenerOptions = SocketOptionSet.None, int? bufferBytes = null,
        TimeSpan? sampleInterval = null, Timeline? timeline = null, CancellationToken cancellationToken = default)
    {
        timeline ??= new Timeline();
        Socket? listener = null;
        Socket? client = null;
        Socket? server = null;
        TcpSampler? sampler = null;
        try
        {
            using (var native = NativeSocket.Create(address.AddressFamily))
            {
                native.SetOptions(listenerOptions).ThrowIfFailed();
                // Port 0: the OS picks a free port, so nothing else on the machine can be in the way.
                native.Bind(new IPEndPoint(address, 0)).ThrowIfFailed();
                if (bufferBytes is { } size)
                {
                    // Accepted sockets inherit the listener's receive buffer, which sets the window the peer sees.
                    listener = native.ToSocket();
                    listener.ReceiveBufferSize = size;
                    listener.SendBufferSize = size;
                    Listen(listener).ThrowIfFailed();
                }
                else
                {
                    native.Listen().ThrowIfFailed();
                    listener = native.ToSocket();
                }
            }
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            timeline.Mark(EventKinds.Listen, $"server listens on :{port}", "ok");
            sampler = TcpSampler.ForPorts(timeline, new[] { port }, sampleInterval);
            client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            if (bufferBytes is { } clientSize)
            {
                client.ReceiveBufferSize = clientSize;
                client.SendBufferSize = clientSize;
            }
            await client.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
            timeline.Mark(EventKinds.Connect, $"client connects from :{((IPEndPoint)client.LocalEndPoint!).Port}", "ok");
            server = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            var connection = new LoopbackConnection(timeline, sampler, listener, server, client, listenerOptions);
            await sampler.WaitForAsync(
                es => es.Any(e => connection.IsServerEnd(e) && e.State == TcpState.Established) && es.Any(e => connection.IsClientEnd(e) && e.State == TcpState.Established),
                StepTimeout, "both ends to be ESTABLISHED", cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            server?.Dispose();
            client?.Dispose();
            listener?.Dispose();
            if (sampler is not null)
            {
                await sampler.DisposeAsync().ConfigureAwait(false);
            }
            throw;
        }
    }

    private static StepResult Listen(Socket socket)
    {
        try
        {
            socket.Listen(16);
            return StepResult.Success("listen");
        }
        catch (SocketException e)
        {
            return new StepResult("listen", Errno.FromCurrentOs(e.NativeErrorCode));
        }
    }

    public void CloseListener()
    {
        // Stamped when close() starts, so no state it causes can be drawn before its marker.
        Timeline.CallBy(EventSides.Server, EventKinds.Close, "listener closed", () => Listener?.Dispose());
        Listener = null;
    }

    public void CloseServer(string label = "server closes")
    {
        // Stamped when close() starts, so no state it causes can be drawn before its marker.
        Timeline.CallBy(EventSides.Server, EventKinds.Close, label, () => Server?.Dispose());
        Server = null;
    }

    public void CloseClient(string label = "client closes")
    {
        // Stamped when close() starts, so no state it causes can be drawn before its marker.
        Timeline.CallBy(EventSides.Client, EventKinds.Close, label, () => Client?.Dispose());
        Client = null;
    }

    /// <summary>Waits until a fresh sample shows the server end and the client end in states that satisfy the conditions (null = gone).</summary>
    public Task<Sample> WaitForAsync(Func<TcpState?, bool> server, Func<TcpState?, bool> client, string what, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        Sampler.WaitForAsync(
            es => server(es.FirstOrDefault(IsServerEnd)?.State) && client(es.FirstOrDefault(IsClientEnd)?.State),
            timeout ?? StepTimeout, what, cancellationToken);

    /// <summary>The server end's state in a sample, or null when it is not in the table.</summary>
    public TcpEntry? ServerIn(Sample sample) => sample.Entries.FirstOrDefault(IsServerEnd);

    /// <summary>The client end's state in a sample, or null when it is not in the table.</summary>
    public TcpEntry? ClientIn(Sample sample) => sample.Entries.FirstOrDefault(IsClientEnd);

    /// <summary>Writes without blocking until the OS accepts no more (the peer's window and this end's send buffer are full).</summary>
    public static long FillUntilBlocked(Socket socket)
    {
        var chunk = new byte[4096];
        long total = 0;
        socket.Blocking = false;
        try
        {
            // A full window on loopback stays full: once send() would block twice in a row the pipe is stuffed.
            var blockedTwice = 0;
            while (blockedTwice < 2)
            {
                var sent = socket.Send(chunk, 0, chunk.Length, SocketFlags.None, out var error);
                if (error == SocketError.WouldBlock)
                {
                    blockedTwice++;
                    Thread.Yield();
                    continue;
                }
                if (error != SocketError.Success)
                {
                    throw new SocketException((int)error);
                }
                blockedTwice = 0;
                total += sent;
            }
        }
        finally
        {
            socket.Blocking = true;
        }
        return total;
    }

    /// <summary>Reads until the peer's FIN (0 bytes), returning the byte count.</summary>
    public static async Task<long> DrainAsync(Socket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[65536];
        long total = 0;
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                return total;
            }
            total += n;
        }
    }

    /// <summary>Tries the OS's own bind() on the server's port with the given options, then closes that socket at once.</summary>
    public StepResult TryRebind(IPAddress address, SocketOptionSet options, out IReadOnlyDictionary<string, int>? readback)
    {
        using var socket = NativeSocket.Create(address.AddressFamily);
        var set = socket.SetOptions(options);
        readback = null;
        if (!set.Ok)
        {
            return set;
        }
        var bind = socket.Bind(new IPEndPoint(address, Port));
        // Marked as soon as bind() returns, before the read-back, so the marker sits where the bind happened.
        Timeline.Mark(EventKinds.Bind, $"bind :{Port} again ({options.ToLabel()})", bind);
        if (bind.Ok)
        {
            readback = socket.ReadOptions();
        }
        return bind;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        Server?.Dispose();
        Listener?.Dispose();
        await Sampler.DisposeAsync().ConfigureAwait(false);
    }
}
