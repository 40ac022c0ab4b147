namespace AddressInUse.Native;

/// <summary>An OS error as the lesson reports it: the symbolic name, the number and a short description.</summary>
/// <param name="Number">The errno (Unix) or WSA error code (Windows).</param>
/// <param name="Name">The symbolic name, e.g. "EADDRINUSE" or "WSAEADDRINUSE".</param>
/// <param name="Description">A short description of what the error means.</param>
public sealed record Errno(int Number, string Name, string Description)
{
    /// <summary>"EADDRINUSE (98)".</summary>
    public override string ToString() => $"{Name} ({Number})";

    /// <summary>Looks up an error number of the given OS; unknown numbers get the name "ERRNO_n".</summary>
    public static Errno From(int number, OsFamily family)
    {
        var table = family switch
        {
            OsFamily.Linux => ErrnoTables.Linux,
            OsFamily.MacOS => ErrnoTables.MacOS,
            OsFamily.Windows => ErrnoTables.Windows,
            _ => ErrnoTables.Linux,
        };
        return table.TryGetValue(number, out var known)
            ? new Errno(number, known.Name, known.Description)
            : new Errno(number, $"ERRNO_{number}", "an error this course has no name for");
    }

    /// <summary>Looks up an error number of the OS this process runs on.</summary>
    public static Errno FromCurrentOs(int number) => From(number, OsInfo.Current);

    /// <summary>The number that the given OS uses for a symbolic name, or null where it has none.</summary>
    public static int? NumberOf(string name, OsFamily family)
    {
        var table = family switch
        {
            OsFamily.MacOS => ErrnoTables.MacOS,
            OsFamily.Windows => ErrnoTables.Windows,
            _ => ErrnoTables.Linux,
        };
        foreach (var (number, entry) in table)
        {
            if (entry.Name == name)
            {
                return number;
            }
        }
        return null;
    }
}

/// <summary>Error-number tables, because each OS numbers the same condition differently.</summary>
internal static class ErrnoTables
{
    private static readonly (string Name, string Description)[] Shared =
    {
        ("EPERM", "operation not permitted"),
        ("EBADF", "bad file descriptor"),
        ("EACCES", "permission denied (e.g. a port below 1024 without privilege)"),
        ("EINVAL", "invalid argument (e.g. the socket is already bound)"),
        ("EMFILE", "too many open files"),
        ("EPIPE", "broken pipe"),
        ("EAGAIN", "resource temporarily unavailable"),
        ("EINPROGRESS", "operation now in progress"),
        ("EAFNOSUPPORT", "address family not supported"),
        ("EADDRINUSE", "address already in use"),
        ("EADDRNOTAVAIL", "cannot assign requested address (not a local address, or no free 4-tuple)"),
        ("ENETUNREACH", "network is unreachable"),
        ("ECONNABORTED", "connection aborted"),
        ("ECONNRESET", "connection reset by peer"),
        ("ENOBUFS", "no buffer space available"),
        ("EISCONN", "socket is already connected"),
        ("ENOTCONN", "socket is not connected"),
        ("ETIMEDOUT", "connection timed out"),
        ("ECONNREFUSED", "connection refused"),
        ("EOPNOTSUPP", "operation not supported"),
        ("ENOPROTOOPT", "protocol option not available"),
    };

    private static Dictionary<int, (string Name, string Description)> Build(params int[] numbers)
    {
        var table = new Dictionary<int, (string, string)>();
        for (var i = 0; i < Shared.Length; i++)
        {
            table[numbers[i]] = Shared[i];
        }
        return table;
    }

    // Numbers in the order of Shared: Linux from asm-generic/errno*.h, macOS from sys/errno.h.
    public static readonly Dictionary<int, (string Name, string Description)> Linux =
        Build(1, 9, 13, 22, 24, 32, 11, 115, 97, 98, 99, 101, 103, 104, 105, 106, 107, 110, 111, 95, 92);

    public static readonly Dictionary<int, (string Name, string Description)> MacOS =
        Build(1, 9, 13, 22, 24, 32, 35, 36, 47, 48, 49, 51, 53, 54, 55, 56, 57, 60, 61, 102, 42);

    // Winsock codes are WSABASEERR (10000) + the BSD number with a WSA prefix, but only for the names winsock2.h
    // defines: there is no WSAEPERM (10001) or WSAEPIPE (10032), and EAGAIN's twin is WSAEWOULDBLOCK.
    public static readonly Dictionary<int, (string Name, string Description)> Windows = BuildWindows();

    private static Dictionary<int, (string Name, string Description)> BuildWindows()
    {
        var table = new Dictionary<int, (string, string)>();
        int[] numbers = { 0, 10009, 10013, 10022, 10024, 0, 10035, 10036, 10047, 10048, 10049, 10051, 10053, 10054, 10055, 10056, 10057, 10060, 10061, 10045, 10042 };
        for (var i = 0; i < Shared.Length; i++)
        {
            if (numbers[i] != 0)
            {
                table[numbers[i]] = (Shared[i].Name == "EAGAIN" ? "WSAEWOULDBLOCK" : "WSA" + Shared[i].Name, Shared[i].Description);
            }
        }
        // Further codes Winsock returns from the calls the course makes (winerror.h).
        (int, string, string)[] more =
        {
            (10004, "WSAEINTR", "a blocking call was interrupted"),
            (10014, "WSAEFAULT", "bad address (a pointer or length the call was given)"),
            (10037, "WSAEALREADY", "an operation is already in progress on this socket"),
            (10038, "WSAENOTSOCK", "not a socket"),
            (10040, "WSAEMSGSIZE", "message too long"),
            (10043, "WSAEPROTONOSUPPORT", "protocol not supported"),
            (10050, "WSAENETDOWN", "network is down"),
            (10052, "WSAENETRESET", "connection reset by the network"),
            (10058, "WSAESHUTDOWN", "cannot send after socket shutdown"),
            (10065, "WSAEHOSTUNREACH", "no route to host"),
            (10093, "WSANOTINITIALISED", "Winsock was not initialised (WSAStartup)"),
        };
        foreach (var (number, name, description) in more)
        {
            table[number] = (name, description);
        }
        return table;
    }
}
