using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;

namespace AddressInUse.Diagnosis;

/// <summary>One socket on the diagnosed port, as the OS's TCP table shows it.</summary>
/// <param name="Local">Its local address and port.</param>
/// <param name="Remote">Its remote address and port ("0.0.0.0:0" for a listener).</param>
/// <param name="State">"LISTEN", "ESTABLISHED", "TIME_WAIT"….</param>
/// <param name="Pid">The owning process, where the OS reveals it (on Linux: a process whose /proc/&lt;pid&gt;/fd links to the socket's inode).</param>
/// <param name="ProcessName">That process's name, where known.</param>
/// <param name="Uid">The socket's owning user id, where the OS reveals it.</param>
public sealed record PortHolder(string Local, string Remote, string State, int? Pid, string? ProcessName, int? Uid)
{
    /// <summary>"pid 1234 (python3)", "no process: the kernel keeps it", or "owner not shown by this OS".</summary>
    public string Owner => Pid is { } pid ? $"pid {pid} ({ProcessName ?? "?"})"
        : State is "TIME_WAIT" ? "no process: the kernel keeps it after the close"
        : OperatingSystem.IsLinux() ? "no process found (not accepted yet, another user's, or orphaned)"
        : "owner not shown by this OS";
}

/// <summary>Whether one kind of server could bind and listen on 127.0.0.1:port right now (tried, then closed at once).</summary>
/// <param name="Server">"plain .NET (Socket.Bind)", "native bind(), no options" or "native bind(), SO_REUSEADDR".</param>
/// <param name="Outcome">"ok" or the errno name.</param>
/// <param name="Errno">The error number, or null.</param>
/// <param name="Step">"bind" or "listen": the step that answered.</param>
public sealed record BindTrial(string Server, string Outcome, int? Errno, string Step)
{
    /// <summary>Whether the server would start.</summary>
    public bool Binds => Outcome == "ok";
}

/// <summary>`diagnose --port P`: who holds a TCP port, whether three kinds of server would bind it now, and what to do.</summary>
public sealed record PortDiagnosis(int Port, IReadOnlyList<PortHolder> Holders, IReadOnlyList<BindTrial> Trials, IReadOnlyList<string> Advice) : HtmlResult
{
    /// <summary>Reads the OS's TCP table for the port, tries the three binds on 127.0.0.1, and advises.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The port is not from 1 to 65535.</exception>
    public static PortDiagnosis Run(int port)
    {
        if (port is < 1 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(port), port, $"Port {port} is not a port: give a whole number from 1 to 65535.");
        }

        var holders = ReadHolders(port);
        var trials = new[]
        {
            Try("plain .NET (Socket.Bind)", port, native: false, SocketOptionSet.None),
            Try("native bind(), no options", port, native: true, SocketOptionSet.None),
            Try("native bind(), SO_REUSEADDR", port, native: true, SocketOptionSet.ReuseAddress),
        };
        return new PortDiagnosis(port, holders, trials, Advise(port, holders, trials));
    }

    /// <summary>The sockets on the port (local port P), listeners first, with their owners where the OS reveals them.</summary>
    public static IReadOnlyList<PortHolder> ReadHolders(int port)
    {
        var owners = OperatingSystem.IsLinux() ? LinuxSocketOwners.Read() : null;
        var rows = OperatingSystem.IsLinux() ? LinuxSocketOwners.ReadTable(port) : TcpTable.Read(e => e.Local.Port == port).Select(e => (Entry: e, Inode: (long?)null, Uid: (int?)null)).ToList();
        return rows
            .Where(r => r.Entry.Local.Port == port)
            .Select(r =>
            {
                var owner = r.Inode is { } inode && inode != 0 && owners is not null && owners.TryGetValue(inode, out var o) ? o : default((int Pid, string Name)?);
                return new PortHolder(r.Entry.Local.ToString(), r.Entry.Remote.ToString(), r.Entry.StateName, owner?.Pid, owner?.Name, r.Uid);
            })
            .OrderBy(h => h.State == "LISTEN" ? 0 : 1)
            .ToList();
    }

    /// <summary>Why a bind of the endpoint just failed with EADDRINUSE and what to do, from the OS's TCP table as it is now.</summary>
    /// <param name="endPoint">The endpoint whose bind failed.</param>
    /// <param name="reuseAddress">Whether the failed bind had set SO_REUSEADDR.</param>
    /// <param name="reuseOption">How the caller's user turns SO_REUSEADDR on (a flag such as "--reuseaddr"), named in the fix.</param>
    public static string ExplainBindFailure(IPEndPoint endPoint, bool reuseAddress, string reuseOption = "SO_REUSEADDR") =>
        ExplainBindFailure(ReadHolders(endPoint.Port), reuseAddress, reuseOption);

    /// <summary>The explanation of a failed bind from given holders of the port (listeners first).</summary>
    /// <param name="holders">The sockets on the port, as <see cref="ReadHolders"/> returns them.</param>
    /// <param name="reuseAddress">Whether the failed bind had set SO_REUSEADDR.</param>
    /// <param name="reuseOption">How the caller's user turns SO_REUSEADDR on, named in the fix.</param>
    public static string ExplainBindFailure(IReadOnlyList<PortHolder> holders, bool reuseAddress, string reuseOption = "SO_REUSEADDR")
    {
        var listeners = holders.Where(h => h.State == "LISTEN").ToList();
        if (listeners.Count > 0)
        {
            var owners = listeners.Where(l => l.Pid is not null).Select(l => l.Owner).Distinct().ToList();
            var by = owners.Count > 0 ? $" by {string.Join(", ", owners)}" : "";
            // A live listener is another server: advising to wait for TIME_WAIT or to set SO_REUSEADDR would send the user the wrong way.
            return $"A live listener holds the port: {string.Join(", ", listeners.Select(l => $"{l.Local} (LISTEN)"))}{by}. "
                   + $"This is another server still running, not an old connection: waiting for TIME_WAIT or {reuseOption} will not free it. "
                   + "Fix: stop that program, or choose another port.";
        }

        if (holders.Count > 0)
        {
            var states = string.Join(", ", holders.Take(5).Select(h => $"{h.Local} → {h.Remote} {h.State}")) + (holders.Count > 5 ? $" and {holders.Count - 5} more" : "");
            return reuseAddress
                ? $"Old connections hold the port ({states}) and this OS refuses the bind even with SO_REUSEADDR. Fix: wait until they are gone (TIME_WAIT lasts 60 s on Linux), or choose another port."
                : $"This is the course's error: old connections hold the port ({states}). Fix: wait until their TIME_WAIT ends (60 s on Linux), or start with {reuseOption}.";
        }

        return "Another socket holds the port, but none shows in the TCP table now (it may just have closed). Fix: try again, or choose another port.";
    }

    // What a C# server sees on the .NET path is a SocketException whose NativeErrorCode is the OS's number; the trial keeps that number.
    private static BindTrial Try(string label, int port, bool native, SocketOptionSet options)
    {
        var result = LoopbackServer.TryStart(port, native, options, backlog: 1);
        return new BindTrial(label, result.Outcome, result.Error?.Number, result.Step);
    }

    private static List<string> Advise(int port, IReadOnlyList<PortHolder> holders, IReadOnlyList<BindTrial> trials)
    {
        var advice = new List<string>();
        var listeners = holders.Where(h => h.State == "LISTEN").ToList();
        foreach (var l in listeners)
        {
            var wildcard = l.Local.StartsWith("[::]", StringComparison.Ordinal) || l.Local.StartsWith("0.0.0.0", StringComparison.Ordinal);
            advice.Add($"A live server listens on {l.Local} ({l.Owner}). Your own options cannot get a second server in beside it (SO_REUSEPORT shares a listener's port only when that server set it too, and then both serve): stop it (a second instance of your program? a child process that inherited the socket?), or use another port.");
            if (l.Local.StartsWith("[::]", StringComparison.Ordinal))
            {
                advice.Add("It listens on [::]; unless it set IPV6_V6ONLY, that also covers every IPv4 address, so a server binding 0.0.0.0 or 127.0.0.1 on this port collides with it.");
            }
            else if (wildcard)
            {
                advice.Add("It listens on 0.0.0.0, every IPv4 address: binding 127.0.0.1 or another local address on the same port collides with it.");
            }
        }

        var leftovers = holders.Where(h => h.State is not ("LISTEN" or "ESTABLISHED" or "SYN_SENT" or "SYN_RECEIVED")).ToList();
        if (listeners.Count == 0 && leftovers.Count > 0)
        {
            var reuse = trials.First(t => t.Server.Contains("SO_REUSEADDR", StringComparison.Ordinal));
            advice.Add($"No server listens; {leftovers.Count} closing connection(s) ({string.Join(", ", leftovers.Select(h => h.State).Distinct())}) still name the port. " +
                       (reuse.Binds
                           ? "Set SO_REUSEADDR before bind() (a plain .NET server already does on Unix; the course measures that on Linux) and it binds now; without it, wait until they are gone (TIME_WAIT lasts 60 s on Linux)."
                           : "Even SO_REUSEADDR does not bind now (on Linux the old socket must have set it too): wait until they are gone (TIME_WAIT lasts 60 s on Linux)."));
        }

        var clients = holders.Where(h => h.State is "ESTABLISHED" or "SYN_SENT" && listeners.Count == 0).ToList();
        if (clients.Count > 0)
        {
            advice.Add($"{clients.Count} connection(s) use {port} as their own local port ({string.Join(", ", clients.Select(c => $"{c.Local} → {c.Remote}, {c.Owner}"))}): a client was given it as its ephemeral port, or bound it. " +
                       "Pick a server port outside the ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range), reserve it (Linux: net.ipv4.ip_local_reserved_ports; chapter 12 measures both), or end that client.");
        }

        if (holders.Count == 0)
        {
            advice.Add(trials.All(t => t.Binds)
                ? "Nothing on this machine holds the port over TCP: every kind of server binds it now. If your program still fails, it binds another address or port than you think (log the endpoint it binds), or it starts twice."
                : "The TCP table shows nothing on the port, yet a bind failed: another address family, a firewall or a sandbox may reserve it; the failed trial above names the errno.");
        }

        return advice;
    }

    /// <summary>The diagnosis as JSON (for `diagnose --json`).</summary>
    public JsonObject ToJson() => new()
    {
        ["port"] = Port,
        ["holders"] = new JsonArray(Holders.Select(h => (JsonNode?)new JsonObject
        {
            ["local"] = h.Local, ["remote"] = h.Remote, ["state"] = h.State, ["pid"] = h.Pid, ["process"] = h.ProcessName, ["uid"] = h.Uid,
        }).ToArray()),
        ["trials"] = new JsonArray(Trials.Select(t => (JsonNode?)new JsonObject
        {
            ["server"] = t.Server, ["outcome"] = t.Outcome, ["errno"] = t.Errno, ["step"] = t.Step,
        }).ToArray()),
        ["advice"] = new JsonArray(Advice.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
    };

    /// <summary>The holders, the trials and the advice as tables and a list.</summary>
    public override string ToHtml() =>
        $"<div class=\"course-outcome\"><p><b>Port {Port}</b>: {Holders.Count} socket(s) in the TCP table</p>" +
        (Holders.Count == 0 ? "" : Html.Table(new[] { "state", "local", "remote", "owner" }, Holders.Select(h => new[] { Html.E(h.State), Html.E(h.Local), Html.E(h.Remote), Html.E(h.Owner) }))) +
        Html.Table(new[] { "would it bind 127.0.0.1:" + Port + " now?", "" }, Trials.Select(t => new[] { Html.E(t.Server), Html.Badge(t.Outcome) + (t.Errno is { } n ? $" errno {n} at {Html.E(t.Step)}()" : "") })) +
        "<ul>" + string.Concat(Advice.Select(a => $"<li>{Html.E(a)}</li>")) + "</ul></div>";

    /// <summary>The diagnosis as terminal text.</summary>
    public override string ToString()
    {
        var lines = new List<string> { $"port {Port}: {Holders.Count} socket(s) in the TCP table" };
        lines.AddRange(Holders.Select(h => $"  {h.State,-12} {h.Local,-24} {h.Remote,-24} {h.Owner}"));
        lines.Add($"would a server bind 127.0.0.1:{Port} now? (tried and closed at once)");
        lines.AddRange(Trials.Select(t => $"  {t.Server,-30} {(t.Binds ? "yes" : $"no: {t.Outcome}{(t.Errno is { } n ? $" ({n})" : "")} at {t.Step}()")}"));
        lines.Add("what to do:");
        lines.AddRange(Advice.Select(a => "  - " + a));
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>Linux: maps socket inodes from /proc/net/tcp{,6} to the processes whose /proc/&lt;pid&gt;/fd link to them.</summary>
internal static class LinuxSocketOwners
{
    /// <summary>Inode → (pid, name) for every process whose fd table this user may read.</summary>
    public static Dictionary<long, (int Pid, string Name)> Read()
    {
        var owners = new Dictionary<long, (int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                string? name = null;
                foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                {
                    var target = new FileInfo(fd).LinkTarget;
                    if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)
                        && long.TryParse(target.AsSpan(8, target.Length - 9), NumberStyles.None, CultureInfo.InvariantCulture, out var inode))
                    {
                        name ??= File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                        owners.TryAdd(inode, (pid, name));
                    }
                }
            }
            catch (Exception e) when (e is UnauthorizedAccessException or IOException)
            {
                // Another user's process (or one that just exited): its sockets stay without an owner.
            }
        }

        return owners;
    }

    /// <summary>The rows of /proc/net/tcp and tcp6 whose local port is the given one, with inode and uid.</summary>
    public static List<(TcpEntry Entry, long? Inode, int? Uid)> ReadTable(int port)
    {
        var rows = new List<(TcpEntry, long?, int?)>();
        foreach (var path in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path).Skip(1))
            {
                if (TcpTable.ParseProcLine(line) is not { } entry || entry.Local.Port != port)
                {
                    continue;
                }

                // Columns: sl local rem st tx:rx tr:tm retrnsmt uid timeout inode …
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                rows.Add((entry,
                    f.Length > 9 && long.TryParse(f[9], NumberStyles.None, CultureInfo.InvariantCulture, out var inode) ? inode : null,
                    f.Length > 7 && int.TryParse(f[7], NumberStyles.None, CultureInfo.InvariantCulture, out var uid) ? uid : null));
            }
        }

        return rows;
    }
}
