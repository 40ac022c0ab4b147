using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace AddressInUse.Observation;

/// <summary>Reads the OS's TCP table: every TCP socket on this machine with its state.</summary>
/// <remarks>
/// On Linux it asks the kernel through netlink sock_diag with the port filter run in the kernel (<see cref="SockDiag"/>),
/// and falls back to parsing /proc/net/tcp and /proc/net/tcp6 where netlink is refused; both give the queue sizes.
/// Elsewhere it uses IPGlobalProperties.
/// </remarks>
public static class TcpTable
{
    /// <summary>Where the last read came from: "sock_diag", "/proc/net/tcp" or "IPGlobalProperties".</summary>
    public static string LastSource { get; private set; } = "";

    /// <summary>Reads every TCP socket, listeners included, optionally keeping only those that match.</summary>
    public static IReadOnlyList<TcpEntry> Read(Func<TcpEntry, bool>? filter = null) => Read(filter, null);

    /// <summary>Reads the TCP sockets that match the filter, looking only at rows whose local or remote port is one of <paramref name="ports"/> when given.</summary>
    /// <remarks>The port pre-filter lets the Linux reader skip parsing most rows of a busy table, which keeps sampling fast.</remarks>
    public static IReadOnlyList<TcpEntry> Read(Func<TcpEntry, bool>? filter, IReadOnlyCollection<int>? ports)
    {
        return ReadFrom(TcpTableSource.Best, filter, ports);
    }

    /// <summary>Reads the table from the given source (<see cref="TcpTableSource.Best"/> picks as <see cref="Read(Func{TcpEntry, bool}?, IReadOnlyCollection{int}?)"/> does).</summary>
    public static IReadOnlyList<TcpEntry> ReadFrom(TcpTableSource source, Func<TcpEntry, bool>? filter, IReadOnlyCollection<int>? ports)
    {
        List<TcpEntry>? entries = null;
        if (source is TcpTableSource.Best or TcpTableSource.SockDiag && OperatingSystem.IsLinux())
        {
            entries = SockDiag.TryRead(ports);
            LastSource = "sock_diag";
        }
        if (entries is null && source is TcpTableSource.Best or TcpTableSource.Proc && OperatingSystem.IsLinux() && File.Exists("/proc/net/tcp"))
        {
            entries = ReadProc(ports);
            LastSource = "/proc/net/tcp";
        }
        if (entries is null && source is TcpTableSource.SockDiag or TcpTableSource.Proc)
        {
            throw new PlatformNotSupportedException($"The TCP table source {source} is not available on this machine.");
        }
        if (entries is null)
        {
            entries = ReadGlobalProperties();
            LastSource = "IPGlobalProperties";
        }
        if (ports is not null)
        {
            entries = entries.Where(e => ports.Contains(e.Local.Port) || ports.Contains(e.Remote.Port)).ToList();
        }
        return filter is null ? entries : entries.Where(filter).ToList();
    }

    /// <summary>Reads every TCP socket whose local or remote port is one of the given ports.</summary>
    public static IReadOnlyList<TcpEntry> ReadPorts(IReadOnlyCollection<int> ports) => Read(null, ports);

    private static List<TcpEntry> ReadProc(IReadOnlyCollection<int>? ports)
    {
        var entries = new List<TcpEntry>();
        foreach (var path in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(path))
            {
                continue;
            }
            foreach (var line in File.ReadLines(path).Skip(1))
            {
                if (ports is not null && !HasPort(line, ports))
                {
                    continue;
                }
                if (ParseProcLine(line) is { } entry)
                {
                    entries.Add(entry);
                }
            }
        }
        return entries;
    }

    /// <summary>Whether a /proc/net/tcp row's local or remote port is one of the ports, read without parsing the rest of the row.</summary>
    internal static bool HasPort(string line, IReadOnlyCollection<int> ports)
    {
        var span = line.AsSpan();
        var found = 0;
        // Fields 1 and 2 are "ADDRESS:PORT"; the port is the four hex digits after the colon.
        for (var i = 0; i < span.Length && found < 2; i++)
        {
            if (span[i] != ':' || i + 5 > span.Length || (i + 5 < span.Length && span[i + 5] != ' '))
            {
                continue;
            }
            if (int.TryParse(span.Slice(i + 1, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port) && i > 8)
            {
                found++;
                if (ports.Contains(port))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Parses one line of /proc/net/tcp or /proc/net/tcp6 (null for a line that is not a socket row).</summary>
    public static TcpEntry? ParseProcLine(string line)
    {
        // "  0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 12345 ..."
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 5 || !fields[0].EndsWith(':'))
        {
            return null;
        }
        var local = ParseProcEndPoint(fields[1]);
        var remote = ParseProcEndPoint(fields[2]);
        var state = int.Parse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture) switch
        {
            0x01 => TcpState.Established,
            0x02 => TcpState.SynSent,
            0x03 => TcpState.SynReceived,
            0x04 => TcpState.FinWait1,
            0x05 => TcpState.FinWait2,
            0x06 => TcpState.TimeWait,
            0x07 => TcpState.Closed,
            0x08 => TcpState.CloseWait,
            0x09 => TcpState.LastAck,
            0x0A => TcpState.Listen,
            0x0B => TcpState.Closing,
            _ => TcpState.Unknown,
        };
        var queues = fields[4].Split(':');
        var send = int.Parse(queues[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var receive = int.Parse(queues[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        // For a listener the kernel reports the accept backlog in rx_queue, not unread bytes.
        return new TcpEntry(local, remote, state, state == TcpState.Listen ? null : receive, state == TcpState.Listen ? null : send);
    }

    private static IPEndPoint ParseProcEndPoint(string text)
    {
        var colon = text.IndexOf(':');
        var hex = text[..colon];
        var port = int.Parse(text[(colon + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        // The kernel prints the address as 32-bit words in host byte order.
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < hex.Length / 8; word++)
        {
            var value = uint.Parse(hex.AsSpan(word * 8, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var wordBytes = BitConverter.GetBytes(value);
            if (!BitConverter.IsLittleEndian)
            {
                Array.Reverse(wordBytes);
            }
            // Host order on little-endian machines means the bytes come out least significant first.
            wordBytes.CopyTo(bytes, word * 4);
        }
        return Normalize(new IPEndPoint(new IPAddress(bytes), port));
    }

    /// <summary>How often a read through IPGlobalProperties is tried before its failure is reported.</summary>
    internal const int GlobalPropertiesAttempts = 5;

    /// <summary>
    /// Runs one read of the table, again when it throws NetworkInformationException, up to <paramref name="attempts"/> times;
    /// then a clear error that names the failing call and its code.
    /// </summary>
    /// <remarks>
    /// Measured under Wine 8.0: GetActiveTcpConnections threw NetworkInformationException 14 (ERROR_OUTOFMEMORY) in 5 of 18
    /// runs of chapter 01 on a busy machine (each run reads the table hundreds of times), right after the table changed
    /// between iphlpapi's size query and its copy. One failed read must not end an experiment that polls the table.
    /// </remarks>
    internal static T RetryTransient<T>(Func<T> read, int attempts = GlobalPropertiesAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempts, 1);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return read();
            }
            catch (NetworkInformationException) when (attempt < attempts)
            {
                // Read again: the next read sees a table that has stopped changing under it.
            }
            catch (NetworkInformationException e)
            {
                throw new InvalidOperationException(
                    $"The OS's TCP table could not be read: IPGlobalProperties failed {attempts} times in a row, last with error {e.ErrorCode} ({e.Message}). " +
                    "Run the cell again; if it keeps failing, the OS's IP helper service is not answering.", e);
            }
        }
    }

    private static List<TcpEntry> ReadGlobalProperties() => RetryTransient(ReadGlobalPropertiesOnce);

    private static List<TcpEntry> ReadGlobalPropertiesOnce()
    {
        var properties = IPGlobalProperties.GetIPGlobalProperties();
        var entries = properties.GetActiveTcpConnections()
            .Select(c => new TcpEntry(Normalize(c.LocalEndPoint), Normalize(c.RemoteEndPoint), c.State))
            .ToList();
        var any = new IPEndPoint(IPAddress.Any, 0);
        foreach (var listener in properties.GetActiveTcpListeners())
        {
            var local = Normalize(listener);
            if (!entries.Any(e => e.State == TcpState.Listen && e.Local.Equals(local)))
            {
                entries.Add(new TcpEntry(local, any, TcpState.Listen));
            }
        }
        return entries;
    }

    /// <summary>Turns IPv4-mapped IPv6 endpoints (::ffff:127.0.0.1) into plain IPv4 ones, so both ends of a connection compare equal.</summary>
    public static IPEndPoint Normalize(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.IsIPv4MappedToIPv6
            ? new IPEndPoint(endPoint.Address.MapToIPv4(), endPoint.Port)
            : endPoint;
}

/// <summary>Which of the OS's interfaces to read the TCP table from.</summary>
public enum TcpTableSource
{
    /// <summary>The fastest available: sock_diag, else /proc/net/tcp on Linux; IPGlobalProperties elsewhere.</summary>
    Best,

    /// <summary>Linux netlink sock_diag with the port filter in the kernel.</summary>
    SockDiag,

    /// <summary>Linux /proc/net/tcp and /proc/net/tcp6.</summary>
    Proc,
}
