using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace AddressInUse.Native;

/// <summary>
/// A socket created, configured and bound through the OS's own calls (libc on Linux and macOS), with exactly the
/// options the lesson names: .NET's Socket.Bind would add SO_REUSEADDR on Unix and hide the behaviour being taught.
/// </summary>
/// <remarks>On Windows, .NET's Bind adds no option, so the Winsock calls behind System.Net.Sockets are used as they are.</remarks>
public sealed unsafe class NativeSocket : IDisposable
{
    private readonly NativeConstants _os;
    private int _fd;
    private Socket? _windowsSocket;

    private NativeSocket(NativeConstants os, AddressFamily family, ProtocolType protocol, int fd, Socket? windowsSocket)
    {
        _os = os;
        AddressFamily = family;
        Protocol = protocol;
        _fd = fd;
        _windowsSocket = windowsSocket;
    }

    /// <summary>The address family (IPv4 or IPv6).</summary>
    public AddressFamily AddressFamily { get; }

    /// <summary>TCP or UDP.</summary>
    public ProtocolType Protocol { get; }

    /// <summary>The options set on this socket so far.</summary>
    public SocketOptionSet Options { get; private set; }

    /// <summary>Whether the socket has been closed or handed over.</summary>
    public bool IsClosed => _fd < 0 && _windowsSocket is null;

    /// <summary>Creates a TCP or UDP socket through the OS's socket() call.</summary>
    public static NativeSocket Create(AddressFamily family = AddressFamily.InterNetwork, ProtocolType protocol = ProtocolType.Tcp)
    {
        OsInfo.EnsureSupported();
        if (family is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
        {
            throw new ArgumentException($"Address family {family} is not used by the course; use InterNetwork or InterNetworkV6.", nameof(family));
        }
        if (protocol is not (ProtocolType.Tcp or ProtocolType.Udp))
        {
            throw new ArgumentException($"Protocol {protocol} is not used by the course; use Tcp or Udp.", nameof(protocol));
        }
        var os = NativeConstants.Current;
        if (os.Family == OsFamily.Windows)
        {
            var socketType = protocol == ProtocolType.Tcp ? SocketType.Stream : SocketType.Dgram;
            return new NativeSocket(os, family, protocol, -1, new Socket(family, socketType, protocol));
        }
        LibC.EnsureResolver();
        var fd = LibC.socket(
            family == AddressFamily.InterNetwork ? os.AfInet : os.AfInet6,
            protocol == ProtocolType.Tcp ? os.SockStream : os.SockDgram,
            protocol == ProtocolType.Tcp ? os.IpProtoTcp : os.IpProtoUdp);
        if (fd < 0)
        {
            throw new NativeSocketException(new StepResult("socket", Errno.FromCurrentOs(Marshal.GetLastPInvokeError())));
        }
        return new NativeSocket(os, family, protocol, fd, null);
    }

    /// <summary>A TCP listener on 127.0.0.1 at a port the OS picks, bound through the OS's bind() with no option, handed to .NET for accept.</summary>
    public static Socket ListenOnLoopback(int backlog = 16)
    {
        var native = Create();
        try
        {
            native.Bind(new IPEndPoint(IPAddress.Loopback, 0)).ThrowIfFailed();
            native.Listen(backlog).ThrowIfFailed();
            return native.ToSocket();
        }
        catch
        {
            native.Dispose();
            throw;
        }
    }

    /// <summary>Sets each option in the set to 1 with setsockopt; an option this OS lacks is a clear error.</summary>
    public StepResult SetOptions(SocketOptionSet options)
    {
        foreach (var (option, name) in SocketOptionNames.All)
        {
            if (!options.HasFlag(option))
            {
                continue;
            }
            var number = _os.OptionNumber(option)
                ?? throw new PlatformNotSupportedException($"{name} does not exist on {_os.Family}; choose options this OS has.");
            var result = SetInt(number, 1);
            if (!result.Ok)
            {
                return result;
            }
            Options |= option;
        }
        return StepResult.Success("setsockopt");
    }

    /// <summary>Reads every option this OS has back with getsockopt, by canonical name (1 = on, 0 = off).</summary>
    public IReadOnlyDictionary<string, int> ReadOptions() => SocketOptionReader.Read(this);

    /// <summary>Sets SO_LINGER to {on, seconds}: with 0 seconds, close() sends RST instead of FIN.</summary>
    public StepResult SetLinger(bool on, int seconds)
    {
        ThrowIfClosed();
        if (_windowsSocket is not null)
        {
            return StepResult.Of("setsockopt", () => _windowsSocket.LingerState = new LingerOption(on, seconds));
        }
        var linger = stackalloc int[2] { on ? 1 : 0, seconds };
        return Check("setsockopt", LibC.setsockopt(_fd, _os.SolSocket, _os.SoLinger, linger, sizeof(int) * 2));
    }

    /// <summary>Sets IPV6_V6ONLY on an IPv6 socket: 1 keeps it to IPv6, 0 lets it take IPv4 too (dual-stack) where the OS allows.</summary>
    public StepResult SetV6Only(bool on)
    {
        ThrowIfClosed();
        if (_windowsSocket is not null)
        {
            return StepResult.Of("setsockopt", () => _windowsSocket.SetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IPv6Only, on));
        }
        var value = on ? 1 : 0;
        return Check("setsockopt", LibC.setsockopt(_fd, IpProtoIpv6, Ipv6V6Only, &value, sizeof(int)));
    }

    /// <summary>Reads IPV6_V6ONLY back with getsockopt (1 = IPv6 only), or null on an IPv4 socket.</summary>
    public int? ReadV6Only()
    {
        ThrowIfClosed();
        if (AddressFamily != AddressFamily.InterNetworkV6)
        {
            return null;
        }
        if (_windowsSocket is not null)
        {
            return (int)_windowsSocket.GetSocketOption(SocketOptionLevel.IPv6, SocketOptionName.IPv6Only)! != 0 ? 1 : 0;
        }
        int value = 0;
        uint length = sizeof(int);
        return LibC.getsockopt(_fd, IpProtoIpv6, Ipv6V6Only, &value, &length) == 0 ? (value != 0 ? 1 : 0) : null;
    }

    // IPPROTO_IPV6 is 41 everywhere; IPV6_V6ONLY is 26 on Linux and 27 on macOS (netinet6/in6.h).
    private const int IpProtoIpv6 = 41;
    private int Ipv6V6Only => _os.Family == OsFamily.Linux ? 26 : 27;

    /// <summary>Binds through the OS's bind() and reports "ok" or the errno.</summary>
    public StepResult Bind(IPEndPoint endPoint) => WithAddress("bind", endPoint, socket => socket.Bind(endPoint), (fd, address, length) => LibC.bind(fd, address, length));

    /// <summary>Starts listening through the OS's listen().</summary>
    public StepResult Listen(int backlog = 16)
    {
        ThrowIfClosed();
        if (_windowsSocket is not null)
        {
            return StepResult.Of("listen", () => _windowsSocket.Listen(backlog));
        }
        return Check("listen", LibC.listen(_fd, backlog));
    }

    /// <summary>Connects (blocking) through the OS's connect().</summary>
    public StepResult Connect(IPEndPoint endPoint) => WithAddress("connect", endPoint, socket => socket.Connect(endPoint), (fd, address, length) => LibC.connect(fd, address, length));

    private delegate int AddressCall(int fd, byte* address, uint length);

    // bind() and connect() take the same sockaddr; on Windows the Winsock call behind the .NET socket is made instead.
    private StepResult WithAddress(string step, IPEndPoint endPoint, Action<Socket> onWindows, AddressCall call)
    {
        ThrowIfClosed();
        if (_windowsSocket is not null)
        {
            return StepResult.Of(step, () => onWindows(_windowsSocket));
        }
        var bytes = Sockaddr.Encode(endPoint, _os);
        fixed (byte* p = bytes)
        {
            return Check(step, call(_fd, p, (uint)bytes.Length));
        }
    }

    /// <summary>The local address and port the OS assigned (getsockname), or null before bind.</summary>
    public IPEndPoint? LocalEndPoint
    {
        get
        {
            ThrowIfClosed();
            if (_windowsSocket is not null)
            {
                return _windowsSocket.IsBound ? (IPEndPoint?)_windowsSocket.LocalEndPoint : null;
            }
            var buffer = stackalloc byte[Sockaddr.Inet6Size];
            uint length = Sockaddr.Inet6Size;
            if (LibC.getsockname(_fd, buffer, &length) != 0)
            {
                return null;
            }
            var endPoint = Sockaddr.Decode(new ReadOnlySpan<byte>(buffer, (int)length), _os);
            return endPoint.Port == 0 ? null : endPoint;
        }
    }

    /// <summary>Hands the OS socket to a .NET <see cref="Socket"/> (for accept, send and receive); this object is then empty.</summary>
    public Socket ToSocket()
    {
        ThrowIfClosed();
        if (_windowsSocket is not null)
        {
            var handedOver = _windowsSocket;
            _windowsSocket = null;
            return handedOver;
        }
        var socket = new Socket(new SafeSocketHandle((IntPtr)_fd, ownsHandle: true));
        _fd = -1;
        return socket;
    }

    /// <summary>The raw descriptor, for getsockopt read-backs (Unix only).</summary>
    internal int Descriptor => _fd;

    /// <summary>The Winsock-backed socket (Windows only).</summary>
    internal Socket? WindowsSocket => _windowsSocket;

    /// <summary>The constants of the OS this socket lives on.</summary>
    internal NativeConstants Constants => _os;

    /// <summary>Closes the socket through the OS's close().</summary>
    public void Dispose()
    {
        if (_windowsSocket is not null)
        {
            _windowsSocket.Dispose();
            _windowsSocket = null;
        }
        if (_fd >= 0)
        {
            LibC.close(_fd);
            _fd = -1;
        }
    }

    private StepResult SetInt(int name, int value)
    {
        ThrowIfClosed();
        if (_windowsSocket is not null)
        {
            var bytes = BitConverter.GetBytes(value);
            var windows = _windowsSocket;
            return StepResult.Of("setsockopt", () => windows.SetRawSocketOption(_os.SolSocket, name, bytes));
        }
        var local = value;
        return Check("setsockopt", LibC.setsockopt(_fd, _os.SolSocket, name, &local, sizeof(int)));
    }

    private static StepResult Check(string step, int rc) =>
        rc == 0 ? StepResult.Success(step) : new StepResult(step, Errno.FromCurrentOs(Marshal.GetLastPInvokeError()));


    private void ThrowIfClosed() => ObjectDisposedException.ThrowIf(IsClosed, this);
}

/// <summary>Thrown when a socket call that the experiment cannot do without (such as socket()) fails.</summary>
public sealed class NativeSocketException : Exception
{
    /// <summary>Wraps a failed step.</summary>
    public NativeSocketException(StepResult result)
        : base($"{result.Step}() failed: {result.Error}: {result.Error?.Description}") => Result = result;

    /// <summary>The failed step with its errno.</summary>
    public StepResult Result { get; }
}
