using System.Globalization;
using System.Net;

namespace Course.TestUtilities;

/// <summary>Reads, from Linux's /proc, the remote address of every TCP and UDP socket a process holds, in the process's own network namespace.</summary>
public static class SocketPeers
{
    /// <summary>"tcp 93.184.216.34:443" for each socket of the process whose peer is neither unset nor a loopback address.</summary>
    public static IReadOnlyList<string> ForeignPeersOf(int pid)
    {
        var found = new List<string>();
        var inodes = SocketInodesOf(pid);
        if (inodes.Count == 0)
        {
            return found;
        }

        foreach (var table in new[] { "tcp", "tcp6", "udp", "udp6" })
        {
            IEnumerable<string> lines;
            try
            {
                // /proc/<pid>/net/ is the table of the process's network namespace, not this one's.
                lines = File.ReadAllLines($"/proc/{pid}/net/{table}").Skip(1);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }

            foreach (var line in lines)
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && inodes.Contains(fields[9]) && Peer(fields[2]) is { } peer && !IPAddress.IsLoopback(peer.Address)
                    && !peer.Address.Equals(IPAddress.Any) && !peer.Address.Equals(IPAddress.IPv6Any))
                {
                    found.Add($"{table} {peer}");
                }
            }
        }

        return found;
    }

    /// <summary>The process's network namespace ("net:[4026531840]"), or null when it is gone.</summary>
    public static string? NetworkNamespaceOf(int pid)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/net").LinkTarget;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The network interfaces the process sees (from /proc/&lt;pid&gt;/net/dev).</summary>
    public static IReadOnlyList<string> InterfacesOf(int pid)
    {
        try
        {
            return File.ReadAllLines($"/proc/{pid}/net/dev").Skip(2).Select(l => l.Split(':')[0].Trim()).ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    /// <summary>The inode ("socket:[inode]") of every socket the process has open; empty when the process is gone or unreadable.</summary>
    public static HashSet<string> SocketInodesOf(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                try
                {
                    if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:[", StringComparison.Ordinal))
                    {
                        inodes.Add(target["socket:[".Length..^1]);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }

        return inodes;
    }

    /// <summary>Parses /proc/net's "0100007F:1F90" (IPv4) or 32 hex digits (IPv6), each 32-bit word in host (little-endian) order.</summary>
    private static IPEndPoint? Peer(string field)
    {
        var parts = field.Split(':');
        if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var port))
        {
            return null;
        }

        var hex = parts[0];
        var bytes = new byte[hex.Length / 2];
        for (var word = 0; word < hex.Length / 8; word++)
        {
            for (var b = 0; b < 4; b++)
            {
                bytes[(word * 4) + b] = byte.Parse(hex.AsSpan((word * 8) + ((3 - b) * 2), 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            }
        }

        return new IPEndPoint(new IPAddress(bytes), port);
    }
}
