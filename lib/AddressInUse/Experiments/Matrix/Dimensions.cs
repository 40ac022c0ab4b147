using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Child;
using AddressInUse.Native;

namespace AddressInUse.Experiments.Matrix;

/// <summary>What already holds the port when the second socket tries to bind it.</summary>
public enum PortHolder
{
    /// <summary>Nothing: the port is free (the baseline every other holder is compared with).</summary>
    None,
    /// <summary>A TCP socket that is bound but neither listens nor connects.</summary>
    Bound,
    /// <summary>A TCP socket listening on the port.</summary>
    Listener,
    /// <summary>A TCP listener that has also accepted a connection which is still open (seed 003's first case).</summary>
    ListenerWithClient,
    /// <summary>A TCP socket bound to the port and then connected out to another server (seed 003's third case).</summary>
    Connected,
    /// <summary>An ESTABLISHED accepted connection whose listener has closed (the forked child that keeps serving).</summary>
    Established,
    /// <summary>The server end of a connection the server closed first, after the client closed too: TIME_WAIT.</summary>
    TimeWait,
    /// <summary>The server end of a connection the server closed first while the client has not closed: FIN_WAIT_2.</summary>
    FinWait2,
    /// <summary>The server end of a connection the client closed first and the server has not: CLOSE_WAIT.</summary>
    CloseWait,
    /// <summary>A bound UDP socket.</summary>
    Udp,
}

/// <summary>Names, labels and protocol facts about <see cref="PortHolder"/> values.</summary>
public static class PortHolders
{
    /// <summary>Every holder in teaching order.</summary>
    public static IReadOnlyList<PortHolder> All { get; } = Enum.GetValues<PortHolder>();

    /// <summary>The results.json "holder" name, e.g. "time_wait" (matching the A1 records' state names).</summary>
    public static string ToName(this PortHolder holder) => holder switch
    {
        PortHolder.None => "none",
        PortHolder.Bound => "bound",
        PortHolder.Listener => "listen",
        PortHolder.ListenerWithClient => "listen_accepted",
        PortHolder.Connected => "connected",
        PortHolder.Established => "established",
        PortHolder.TimeWait => "time_wait",
        PortHolder.FinWait2 => "fin_wait_2",
        PortHolder.CloseWait => "close_wait",
        PortHolder.Udp => "udp",
        _ => throw new ArgumentOutOfRangeException(nameof(holder), holder, "Unknown port holder."),
    };

    /// <summary>What a reader sees: "a listener", "TIME_WAIT (server closed first)"….</summary>
    public static string ToLabel(this PortHolder holder) => holder switch
    {
        PortHolder.None => "nothing (free port)",
        PortHolder.Bound => "bound, idle socket",
        PortHolder.Listener => "listener",
        PortHolder.ListenerWithClient => "listener with an accepted client",
        PortHolder.Connected => "socket bound, then connected out",
        PortHolder.Established => "ESTABLISHED, listener closed",
        PortHolder.TimeWait => "TIME_WAIT",
        PortHolder.FinWait2 => "FIN_WAIT_2 (peer in CLOSE_WAIT)",
        PortHolder.CloseWait => "CLOSE_WAIT",
        PortHolder.Udp => "UDP socket",
        _ => throw new ArgumentOutOfRangeException(nameof(holder), holder, "Unknown port holder."),
    };

    /// <summary>Parses a results.json holder name back into a holder.</summary>
    public static PortHolder Parse(string name)
    {
        foreach (var holder in All)
        {
            if (holder.ToName() == name)
            {
                return holder;
            }
        }
        throw new ArgumentException($"Unknown holder '{name}'. Use one of: {string.Join(", ", All.Select(h => h.ToName()))}.", nameof(name));
    }

    /// <summary>The protocol of the socket that holds the port (None has no socket; it counts as TCP).</summary>
    public static ProtocolType Protocol(this PortHolder holder) => holder == PortHolder.Udp ? ProtocolType.Udp : ProtocolType.Tcp;

    /// <summary>The TCP state the holder's socket on the port must show before the second bind, or null where none is checked.</summary>
    public static TcpState? ExpectedState(this PortHolder holder) => holder switch
    {
        PortHolder.Connected or PortHolder.Established => TcpState.Established,
        PortHolder.ListenerWithClient => TcpState.Established,
        PortHolder.TimeWait => TcpState.TimeWait,
        PortHolder.FinWait2 => TcpState.FinWait2,
        PortHolder.CloseWait => TcpState.CloseWait,
        _ => null,
    };

    /// <summary>How many rows the holder puts into the OS's TCP table on the port (bound-only sockets are not listed).</summary>
    internal static int TcpTableRows(this PortHolder holder) => holder switch
    {
        PortHolder.None or PortHolder.Bound or PortHolder.Udp => 0,
        PortHolder.ListenerWithClient => 2,
        _ => 1,
    };

    /// <summary>Whether the holder keeps a listening socket that can accept new connections.</summary>
    public static bool Listens(this PortHolder holder) => holder is PortHolder.Listener or PortHolder.ListenerWithClient;
}

/// <summary>The local addresses the two sockets bind, both on loopback or the wildcard address.</summary>
public enum AddressPair
{
    /// <summary>Both bind 127.0.0.1.</summary>
    Same,
    /// <summary>The first binds 0.0.0.0 (every address), the second 127.0.0.1.</summary>
    WildcardThenSpecific,
    /// <summary>The first binds 127.0.0.1, the second 0.0.0.0.</summary>
    SpecificThenWildcard,
    /// <summary>The first binds 127.0.0.1, the second 127.0.0.2 (needs a second loopback address).</summary>
    TwoSpecific,
}

/// <summary>Names, labels and addresses of <see cref="AddressPair"/> values.</summary>
public static class AddressPairs
{
    /// <summary>The second loopback address used by <see cref="AddressPair.TwoSpecific"/>.</summary>
    public static IPAddress SecondLoopback { get; } = IPAddress.Parse("127.0.0.2");

    /// <summary>Every address pair in teaching order.</summary>
    public static IReadOnlyList<AddressPair> All { get; } = Enum.GetValues<AddressPair>();

    /// <summary>The address the first socket binds.</summary>
    public static IPAddress First(this AddressPair pair) => pair == AddressPair.WildcardThenSpecific ? IPAddress.Any : IPAddress.Loopback;

    /// <summary>The address the second socket binds.</summary>
    public static IPAddress Second(this AddressPair pair) => pair switch
    {
        AddressPair.SpecificThenWildcard => IPAddress.Any,
        AddressPair.TwoSpecific => SecondLoopback,
        _ => IPAddress.Loopback,
    };

    /// <summary>Whether the pair binds the wildcard address (reachable from the network while it is bound).</summary>
    public static bool UsesWildcard(this AddressPair pair) => pair is AddressPair.WildcardThenSpecific or AddressPair.SpecificThenWildcard;

    /// <summary>The short name used in case names: "same", "wildcard-then-specific"….</summary>
    public static string ToName(this AddressPair pair) => pair switch
    {
        AddressPair.Same => "same",
        AddressPair.WildcardThenSpecific => "wildcard-then-specific",
        AddressPair.SpecificThenWildcard => "specific-then-wildcard",
        AddressPair.TwoSpecific => "two-specific",
        _ => throw new ArgumentOutOfRangeException(nameof(pair), pair, "Unknown address pair."),
    };

    /// <summary>"127.0.0.1 then 0.0.0.0".</summary>
    public static string ToLabel(this AddressPair pair) => $"{pair.First()} then {pair.Second()}";

    /// <summary>The specific addresses a client can connect (or send) to in order to see which socket answers.</summary>
    /// <param name="pair">The address pair.</param>
    /// <param name="secondLoopbackAvailable">Whether 127.0.0.2 exists on this machine.</param>
    public static IReadOnlyList<IPAddress> ProbeTargets(this AddressPair pair, bool secondLoopbackAvailable) => pair switch
    {
        AddressPair.Same => new[] { IPAddress.Loopback },
        // 127.0.0.2 is covered by the wildcard socket only: it shows what the specific one leaves to the other.
        _ when secondLoopbackAvailable => new[] { IPAddress.Loopback, SecondLoopback },
        _ => new[] { IPAddress.Loopback },
    };
}

/// <summary>The protocols of the first and the second socket.</summary>
public enum ProtocolPair
{
    /// <summary>TCP, then TCP.</summary>
    TcpTcp,
    /// <summary>TCP holds the port, then a UDP socket binds it.</summary>
    TcpUdp,
    /// <summary>UDP, then UDP.</summary>
    UdpUdp,
    /// <summary>UDP holds the port, then a TCP socket binds (and listens on) it.</summary>
    UdpTcp,
}

/// <summary>Names and protocols of <see cref="ProtocolPair"/> values.</summary>
public static class ProtocolPairs
{
    /// <summary>Every protocol pair.</summary>
    public static IReadOnlyList<ProtocolPair> All { get; } = Enum.GetValues<ProtocolPair>();

    /// <summary>The first socket's protocol.</summary>
    public static ProtocolType First(this ProtocolPair pair) => pair is ProtocolPair.TcpTcp or ProtocolPair.TcpUdp ? ProtocolType.Tcp : ProtocolType.Udp;

    /// <summary>The second socket's protocol.</summary>
    public static ProtocolType Second(this ProtocolPair pair) => pair is ProtocolPair.TcpTcp or ProtocolPair.UdpTcp ? ProtocolType.Tcp : ProtocolType.Udp;

    /// <summary>Whether both sockets use the same protocol.</summary>
    public static bool IsMixed(this ProtocolPair pair) => pair.First() != pair.Second();

    /// <summary>The results.json "protocol" value: "tcp", "udp", "tcp/udp" or "udp/tcp".</summary>
    public static string ToName(this ProtocolPair pair) => pair switch
    {
        ProtocolPair.TcpTcp => "tcp",
        ProtocolPair.UdpUdp => "udp",
        ProtocolPair.TcpUdp => "tcp/udp",
        ProtocolPair.UdpTcp => "udp/tcp",
        _ => throw new ArgumentOutOfRangeException(nameof(pair), pair, "Unknown protocol pair."),
    };

    /// <summary>"tcp" or "udp" for one socket.</summary>
    public static string ProtocolName(ProtocolType protocol) => protocol == ProtocolType.Udp ? "udp" : "tcp";
}

/// <summary>Names and labels of the option sets each bind path offers on each OS.</summary>
public static class OptionChoices
{
    /// <summary>Both Unix reuse options together.</summary>
    public const SocketOptionSet Both = SocketOptionSet.ReuseAddress | SocketOptionSet.ReusePort;

    /// <summary>
    /// The option sets a socket can ask for: on Linux and macOS none, SO_REUSEADDR, SO_REUSEPORT and both; on Windows none,
    /// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (Windows refuses the two together). The .NET path offers what .NET's API offers
    /// everywhere: nothing, ReuseAddress = true, ExclusiveAddressUse = true.
    /// </summary>
    public static IReadOnlyList<SocketOptionSet> For(BindApi api, OsFamily os) =>
        api == BindApi.Dotnet || os == OsFamily.Windows
            ? new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress, SocketOptionSet.ExclusiveAddressUse }
            : new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress, SocketOptionSet.ReusePort, Both };

    /// <summary>The slug used in case names: "none", "reuseaddr", "reuseport", "reuseaddr+reuseport", "exclusive".</summary>
    public static string ToSlug(SocketOptionSet options) => options == SocketOptionSet.None
        ? "none"
        : string.Join("+", options.ToNames().Select(n => n switch
        {
            SocketOptionNames.ReuseAddress => "reuseaddr",
            SocketOptionNames.ReusePort => "reuseport",
            _ => "exclusive",
        }));

    /// <summary>What a reader sees for one socket's options on the given path: "SO_REUSEADDR", or ".NET ReuseAddress = true".</summary>
    public static string ToLabel(SocketOptionSet options, BindApi api) => api == BindApi.Native
        ? options == SocketOptionSet.None ? "none" : string.Join(" + ", options.ToNames())
        : options switch
        {
            SocketOptionSet.None => "plain Bind",
            SocketOptionSet.ReuseAddress => "ReuseAddress = true",
            SocketOptionSet.ExclusiveAddressUse => "ExclusiveAddressUse = true",
            _ => string.Join(" + ", options.ToNames()),
        };

    /// <summary>The .NET calls a socket on the .NET path makes before Bind, as code.</summary>
    public static string DotnetCalls(SocketOptionSet options) => options switch
    {
        SocketOptionSet.None => "socket.Bind(endPoint)",
        SocketOptionSet.ReuseAddress => "socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true); socket.Bind(endPoint)",
        SocketOptionSet.ExclusiveAddressUse => "socket.ExclusiveAddressUse = true; socket.Bind(endPoint)",
        _ => throw new ArgumentException($"The .NET path offers no single call for {options.ToLabel()}; use None, ReuseAddress or ExclusiveAddressUse.", nameof(options)),
    };
}
