using System.Globalization;
using System.Net.NetworkInformation;
using AddressInUse.Observation;

namespace AddressInUse.Experiments.Matrix;

/// <summary>
/// Counts the sockets the OS lists on one port, so that a refused bind can be told apart from a conflict with some other
/// program: if more sockets sit on the port than the case itself opened, the conflict is not the lesson's.
/// </summary>
internal static class PortOccupancy
{
    /// <summary>How many TCP table rows have each of the given ports as their local port (one read of the table).</summary>
    public static IReadOnlyDictionary<int, int> TcpRows(IReadOnlySet<int> ports) =>
        TcpTable.Read(e => ports.Contains(e.Local.Port)).GroupBy(e => e.Local.Port).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>How many UDP sockets are bound to each of the given ports (one read of the table).</summary>
    public static IReadOnlyDictionary<int, int> UdpSockets(IReadOnlySet<int> ports)
    {
        var counts = new Dictionary<int, int>();
        void Count(int port)
        {
            if (ports.Contains(port))
            {
                counts[port] = counts.GetValueOrDefault(port) + 1;
            }
        }
        if (OperatingSystem.IsLinux() && File.Exists("/proc/net/udp"))
        {
            foreach (var path in new[] { "/proc/net/udp", "/proc/net/udp6" })
            {
                if (!File.Exists(path))
                {
                    continue;
                }
                foreach (var line in File.ReadLines(path).Skip(1))
                {
                    Count(LocalPortOfProcLine(line));
                }
            }
            return counts;
        }
        foreach (var endPoint in IPGlobalProperties.GetIPGlobalProperties().GetActiveUdpListeners())
        {
            Count(endPoint.Port);
        }
        return counts;
    }

    /// <summary>The local port of one /proc/net/udp line ("  12: 0100007F:9C40 00000000:0000 07 …"), or -1 for the header.</summary>
    internal static int LocalPortOfProcLine(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 2 || !fields[0].EndsWith(':'))
        {
            return -1;
        }
        var colon = fields[1].LastIndexOf(':');
        return colon < 0 ? -1 : int.Parse(fields[1].AsSpan(colon + 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }
}
