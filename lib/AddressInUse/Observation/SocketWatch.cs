using System.Globalization;
using System.Text.Json.Nodes;

namespace AddressInUse.Observation;

/// <summary>One socket's change of state seen by a <see cref="SocketWatch"/>.</summary>
/// <param name="AtMs">Milliseconds since the watch started, on the monotonic clock.</param>
/// <param name="Local">The local endpoint.</param>
/// <param name="Remote">The remote endpoint.</param>
/// <param name="From">The previous state, or null when the socket is new to the table.</param>
/// <param name="To">The new state ("CLOSED" when the socket left the table).</param>
/// <param name="ReceiveQueue">Unread bytes, where the OS tells.</param>
/// <param name="SendQueue">Unacknowledged bytes, where the OS tells.</param>
/// <param name="FromSeenMs">
/// The read before this one, the last that showed <paramref name="From"/>: between it and <paramref name="AtMs"/> no read looked,
/// so when the change happened in that gap is unknown (null for a socket new to the table).
/// </param>
public sealed record SocketChange(double AtMs, string Local, string Remote, string? From, string To, int? ReceiveQueue, int? SendQueue, double? FromSeenMs = null)
{
    /// <summary>One line for a terminal: "   12.345 ms  127.0.0.1:5000 → 127.0.0.1:41000  ESTABLISHED → FIN_WAIT_2".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{AtMs,10:0.000} ms  {Local} → {Remote}  {From ?? "(new)"} → {To}{(ReceiveQueue is > 0 || SendQueue is > 0 ? $"  recv-q {ReceiveQueue} send-q {SendQueue}" : "")}");

    /// <summary>The change as one compact JSON object (a JSON line).</summary>
    public string ToJson() => new JsonObject
    {
        ["t_ms"] = Math.Round(AtMs, 3),
        ["local"] = Local,
        ["remote"] = Remote,
        ["from"] = From,
        ["to"] = To,
        ["from_seen_ms"] = FromSeenMs is { } seen ? Math.Round(seen, 3) : null,
        ["recv_q"] = ReceiveQueue,
        ["send_q"] = SendQueue,
    }.ToJsonString();
}

/// <summary>Compares successive reads of the TCP table and reports each socket whose state changed, appeared or disappeared.</summary>
public sealed class SocketWatch
{
    private readonly Dictionary<string, TcpEntry> _current = new();
    private readonly Func<TcpEntry, bool> _filter;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly IReadOnlyCollection<int>? _ports;
    private double? _lastReadMs;

    /// <summary>Watches the sockets that match the filter, on the given clock.</summary>
    public SocketWatch(Func<TcpEntry, bool> filter, TimeProvider? time = null)
        : this(filter, null, time)
    {
    }

    private SocketWatch(Func<TcpEntry, bool> filter, IReadOnlyCollection<int>? ports, TimeProvider? time)
    {
        _ports = ports;
        _filter = filter ?? throw new ArgumentNullException(nameof(filter));
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    /// <summary>Watches every socket whose local or remote port is the given one.</summary>
    public static SocketWatch ForPort(int port, TimeProvider? time = null) =>
        new(e => e.Local.Port == port || e.Remote.Port == port, new[] { port }, time);

    /// <summary>The sockets as last seen, by key.</summary>
    public IReadOnlyDictionary<string, TcpEntry> Current => _current;

    /// <summary>Reads the OS's table now and returns the changes since the last read.</summary>
    public IReadOnlyList<SocketChange> Poll() => Update(TcpTable.Read(_filter, _ports), _time.GetElapsedTime(_start).TotalMilliseconds);

    /// <summary>Compares the given entries (already filtered) with the last ones and returns the changes, stamped at the given time.</summary>
    public IReadOnlyList<SocketChange> Update(IReadOnlyList<TcpEntry> entries, double atMs)
    {
        var changes = new List<SocketChange>();
        var seen = new HashSet<string>();
        foreach (var entry in entries)
        {
            if (!seen.Add(entry.Key))
            {
                continue;
            }
            _current.TryGetValue(entry.Key, out var previous);
            if (previous is null || previous.State != entry.State)
            {
                changes.Add(new SocketChange(atMs, entry.Local.ToString(), entry.Remote.ToString(), previous?.StateName, entry.StateName, entry.ReceiveQueue, entry.SendQueue,
                    previous is null ? null : _lastReadMs));
            }
            _current[entry.Key] = entry;
        }
        foreach (var key in _current.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            var gone = _current[key];
            changes.Add(new SocketChange(atMs, gone.Local.ToString(), gone.Remote.ToString(), gone.StateName, TcpPaths.Closed, null, null, _lastReadMs));
            _current.Remove(key);
        }
        _lastReadMs = atMs;
        return changes;
    }
}
