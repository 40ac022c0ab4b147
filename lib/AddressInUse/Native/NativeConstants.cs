namespace AddressInUse.Native;

/// <summary>The numeric socket constants of one OS, because Linux, macOS and Windows number them differently.</summary>
/// <param name="Family">The OS these constants belong to.</param>
/// <param name="SolSocket">SOL_SOCKET.</param>
/// <param name="SoReuseAddr">SO_REUSEADDR.</param>
/// <param name="SoReusePort">SO_REUSEPORT, or null where the OS has none.</param>
/// <param name="SoExclusiveAddrUse">SO_EXCLUSIVEADDRUSE, or null where the OS has none.</param>
/// <param name="SoLinger">SO_LINGER.</param>
/// <param name="AfInet">AF_INET.</param>
/// <param name="AfInet6">AF_INET6.</param>
/// <param name="SockStream">SOCK_STREAM.</param>
/// <param name="SockDgram">SOCK_DGRAM.</param>
/// <param name="IpProtoTcp">IPPROTO_TCP.</param>
/// <param name="IpProtoUdp">IPPROTO_UDP.</param>
/// <param name="SockaddrHasLength">Whether sockaddr starts with a one-byte length field (BSD layout).</param>
public sealed record NativeConstants(
    OsFamily Family,
    int SolSocket,
    int SoReuseAddr,
    int? SoReusePort,
    int? SoExclusiveAddrUse,
    int SoLinger,
    int AfInet,
    int AfInet6,
    int SockStream,
    int SockDgram,
    int IpProtoTcp,
    int IpProtoUdp,
    bool SockaddrHasLength)
{
    /// <summary>Linux (asm-generic/socket.h, x86 and arm).</summary>
    public static NativeConstants Linux { get; } = new(OsFamily.Linux, 1, 2, 15, null, 13, 2, 10, 1, 2, 6, 17, false);

    /// <summary>macOS (sys/socket.h: SOL_SOCKET 0xffff, SO_REUSEADDR 0x4, SO_REUSEPORT 0x200, SO_LINGER 0x80).</summary>
    public static NativeConstants MacOS { get; } = new(OsFamily.MacOS, 0xffff, 0x4, 0x200, null, 0x80, 2, 30, 1, 2, 6, 17, true);

    /// <summary>Windows (winsock2.h: SO_EXCLUSIVEADDRUSE is ~SO_REUSEADDR).</summary>
    public static NativeConstants Windows { get; } = new(OsFamily.Windows, 0xffff, 0x4, null, ~0x4, 0x80, 2, 23, 1, 2, 6, 17, false);

    /// <summary>The constants for the given OS family.</summary>
    public static NativeConstants For(OsFamily family) => family switch
    {
        OsFamily.Linux => Linux,
        OsFamily.MacOS => MacOS,
        OsFamily.Windows => Windows,
        _ => throw new PlatformNotSupportedException($"No socket constants for {family}."),
    };

    /// <summary>The constants of the OS this process runs on.</summary>
    public static NativeConstants Current => For(OsInfo.Current);

    /// <summary>The option number for a single option, or null where this OS does not have it.</summary>
    public int? OptionNumber(SocketOptionSet option) => option switch
    {
        SocketOptionSet.ReuseAddress => SoReuseAddr,
        SocketOptionSet.ReusePort => SoReusePort,
        SocketOptionSet.ExclusiveAddressUse => SoExclusiveAddrUse,
        _ => throw new ArgumentException($"{option} is not a single option.", nameof(option)),
    };
}
