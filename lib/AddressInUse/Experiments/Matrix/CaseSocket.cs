using System.Net;
using System.Net.Sockets;
using AddressInUse.Child;
using AddressInUse.Native;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// One socket under study, on either bind path: the OS's own calls with exactly the named options, or plain .NET.
/// The steps being measured (setsockopt, bind, listen, connect) go through that path; accept, send and receive,
/// which decide nothing about the port, go through a .NET <see cref="Socket"/> in both cases.
/// </summary>
internal sealed class CaseSocket(BindApi api, ProtocolType protocol, NativeSocket? native, Socket? socket) : IDisposable
{
    private NativeSocket? _native = native;
    private Socket? _socket = socket;

    public BindApi Api { get; } = api;

    public ProtocolType Protocol { get; } = protocol;

    /// <summary>The result of setting the options (always a "setsockopt" step, ok when there was nothing to set).</summary>
    public StepResult OptionsResult { get; private set; } = StepResult.Success("setsockopt");

    /// <summary>Creates an IPv4 socket on the given path and sets the options as that path would.</summary>
    public static CaseSocket Create(BindApi api, ProtocolType protocol, SocketOptionSet options)
    {
        if (api == BindApi.Native)
        {
            var native = NativeSocket.Create(AddressFamily.InterNetwork, protocol);
            var created = new CaseSocket(api, protocol, native, null);
            created.OptionsResult = native.SetOptions(options);
            return created;
        }
        var socket = new Socket(AddressFamily.InterNetwork, protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram, protocol);
        var result = new CaseSocket(api, protocol, null, socket);
        result.OptionsResult = StepResult.Of("setsockopt", () =>
        {
            switch (options)
            {
                case SocketOptionSet.None:
                    break;
                case SocketOptionSet.ReuseAddress:
                    socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                    break;
                case SocketOptionSet.ExclusiveAddressUse:
                    socket.ExclusiveAddressUse = true;
                    break;
                default:
                    throw new ArgumentException(
                        $"The .NET path has no single call for {options.ToLabel()}; use None, ReuseAddress or ExclusiveAddressUse.", nameof(options));
            }
        });
        return result;
    }

    public StepResult Bind(IPEndPoint endPoint)
    {
        if ((endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any)) && LoopbackOnlyFilter.Supported)
        {
            // Defence in depth: a wildcard socket of the course sees no packet from outside loopback, even on the host's addresses.
            var errno = _native is not null ? LoopbackOnlyFilter.Attach(_native.Descriptor) : LoopbackOnlyFilter.Attach(_socket!);
            if (errno != 0)
            {
                throw new InvalidOperationException($"Could not attach the loopback-only filter to a wildcard socket (setsockopt SO_ATTACH_FILTER gave {Errno.FromCurrentOs(errno)}); the case is not run unguarded.");
            }
        }
        return _native is not null ? _native.Bind(endPoint) : StepResult.Of("bind", () => _socket!.Bind(endPoint));
    }

    public StepResult Listen(int backlog) =>
        _native is not null ? _native.Listen(backlog) : StepResult.Of("listen", () => _socket!.Listen(backlog));

    public StepResult Connect(IPEndPoint endPoint) =>
        _native is not null ? _native.Connect(endPoint) : StepResult.Of("connect", () => _socket!.Connect(endPoint));

    /// <summary>Every option this OS has, read back with getsockopt.</summary>
    public IReadOnlyDictionary<string, int> Readback() =>
        _native is not null ? _native.ReadOptions() : SocketOptionReader.Read(_socket!);

    /// <summary>The local port the OS assigned, or 0 before bind.</summary>
    public int LocalPort =>
        _native is not null ? _native.LocalEndPoint?.Port ?? 0 : (_socket!.LocalEndPoint as IPEndPoint)?.Port ?? 0;

    /// <summary>A .NET socket for accept, send and receive; a native socket is handed over once and stays handed over.</summary>
    public Socket AsSocket()
    {
        if (_socket is null)
        {
            _socket = _native!.ToSocket();
            _native.Dispose();
            _native = null;
        }
        return _socket;
    }

    public void Dispose()
    {
        _native?.Dispose();
        _native = null;
        _socket?.Dispose();
        _socket = null;
    }
}

/// <summary>Every socket a case opens, closed in reverse order when the case ends, also when it throws.</summary>
internal sealed class SocketScope : IDisposable
{
    private readonly List<IDisposable> _owned = new();

    public T Add<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    /// <summary>Closes a socket now; with abort, a connected TCP socket sends RST instead of FIN, so it leaves no TIME_WAIT behind.</summary>
    public static void Close(Socket socket, bool abort)
    {
        if (abort && socket.ProtocolType == ProtocolType.Tcp)
        {
            try
            {
                if (socket.Connected)
                {
                    socket.LingerState = new LingerOption(true, 0);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Already reset by the peer, or already closed on purpose (a holder's own close): nothing left to abort.
            }
        }
        socket.Dispose();
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            if (_owned[i] is Socket socket)
            {
                // Clean-up is not part of the lesson: reset connections so that only the holders the case built stay behind.
                Close(socket, abort: true);
            }
            else
            {
                _owned[i].Dispose();
            }
        }
        _owned.Clear();
    }
}
