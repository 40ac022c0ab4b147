using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using AddressInUse.Observation;

namespace Course.Runner.Cli;

/// <summary>Says who holds a TCP port after EADDRINUSE: a live listener (another server: waiting will not help) or old connections (TIME_WAIT and friends: waiting or SO_REUSEADDR will).</summary>
public static class PortHolders
{
    /// <summary>The explanation and fix for a failed bind of the endpoint, from the OS's TCP table as it is now.</summary>
    public static string Explain(IPEndPoint endPoint, bool reuse) => Explain(endPoint, reuse, TcpTable.Read(e => e.Local.Port == endPoint.Port), ListenerOwners);

    /// <summary>The explanation from a given table (for tests), with a lookup of the processes owning a listening port.</summary>
    public static string Explain(IPEndPoint endPoint, bool reuse, IReadOnlyList<TcpEntry> onPort, Func<int, IReadOnlyList<string>> owners)
    {
        var listeners = onPort.Where(e => e.State == TcpState.Listen).ToList();
        if (listeners.Count > 0)
        {
            var who = owners(endPoint.Port);
            var by = who.Count > 0 ? $" by {string.Join(", ", who)}" : "";
            return $"A live listener holds the port: {string.Join(", ", listeners.Select(l => $"{l.Local} (LISTEN)"))}{by}. "
                   + "This is another server still running, not an old connection: waiting for TIME_WAIT or --reuseaddr will not free it. "
                   + "Fix: stop that program, or choose another --port.";
        }

        var old = onPort.Where(e => e.State != TcpState.Listen).ToList();
        if (old.Count > 0)
        {
            var states = string.Join(", ", old.Take(5).Select(e => $"{e.Local} → {e.Remote} {e.StateName}")) + (old.Count > 5 ? $" and {old.Count - 5} more" : "");
            return reuse
                ? $"Old connections hold the port ({states}) and this OS refuses the bind even with SO_REUSEADDR. Fix: wait until they are gone (TIME_WAIT lasts 60 s on Linux), or choose another --port."
                : $"This is the course's error: old connections hold the port ({states}). Fix: wait until their TIME_WAIT ends (60 s on Linux), or start with --reuseaddr.";
        }

        return "Another socket holds the port, but none shows in the TCP table now (it may just have closed). Fix: try again, or choose another --port.";
    }

    /// <summary>"pid 123 (nc)" for each process whose open sockets listen on the TCP port; Linux only (reads /proc), empty elsewhere or when not allowed.</summary>
    public static IReadOnlyList<string> ListenerOwners(int port)
    {
        if (!OperatingSystem.IsLinux())
        {
            return [];
        }

        try
        {
            var inodes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists))
            {
                foreach (var line in File.ReadLines(table).Skip(1))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // fields: sl local rem st ... inode (index 9); st 0A is LISTEN.
                    if (fields.Length > 9 && fields[3] == "0A"
                        && int.TryParse(fields[1].Split(':')[^1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var p) && p == port)
                    {
                        inodes.Add($"socket:[{fields[9]}]");
                    }
                }
            }

            var owners = new List<string>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                var name = Path.GetFileName(dir);
                if (!int.TryParse(name, out var pid) || inodes.Count == 0)
                {
                    continue;
                }

                try
                {
                    if (Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")).Any(fd => new FileInfo(fd).LinkTarget is { } target && inodes.Contains(target)))
                    {
                        var comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                        owners.Add($"pid {pid} ({PrintableText.Escape(comm)})");
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another user's process, or one that just ended: it cannot be named, the listener is still reported.
                }
            }

            return owners;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
