namespace AddressInUse.Observation;

/// <summary>One change of state of one socket between two consecutive samples, with the states it must have passed through unseen.</summary>
/// <param name="Key">The socket ("local>remote").</param>
/// <param name="From">The state in the last sample that showed the old state.</param>
/// <param name="To">The state in the first sample that showed the new one ("CLOSED" when the socket left the table).</param>
/// <param name="AfterMs">The last sample that still showed <paramref name="From"/>: the change happened after this.</param>
/// <param name="ByMs">The first sample that showed <paramref name="To"/>: the change had happened by then.</param>
/// <param name="Unseen">The states the usual TCP path passes through between the two, which no sample caught (empty when none).</param>
public sealed record StateTransition(string Key, string From, string To, double AfterMs, double ByMs, IReadOnlyList<string> Unseen)
{
    /// <summary>Whether some state fell between the two samples.</summary>
    public bool HasUnseen => Unseen.Count > 0;

    /// <summary>"ESTABLISHED → TIME_WAIT between 12.0 and 14.1 ms (unseen: FIN_WAIT_1, FIN_WAIT_2)".</summary>
    public override string ToString() =>
        FormattableString.Invariant($"{From} → {To} between {AfterMs:0.0} and {ByMs:0.0} ms") +
        (HasUnseen ? $" (unseen: {string.Join(", ", Unseen)})" : "");
}

/// <summary>The usual paths of RFC 793's state machine, used to name the states a sample interval hid.</summary>
public static class TcpPaths
{
    /// <summary>The name the course gives a socket that has left the OS's table.</summary>
    public const string Closed = "CLOSED";

    /// <summary>The side that closes second: it learns of the close, then closes itself.</summary>
    public static IReadOnlyList<string> PassiveClose { get; } = new[] { "ESTABLISHED", "CLOSE_WAIT", "LAST_ACK", Closed };

    /// <summary>The side that closes first: its FIN is acknowledged, then the peer's FIN arrives.</summary>
    public static IReadOnlyList<string> ActiveClose { get; } = new[] { "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT", Closed };

    /// <summary>Both sides close at once: each receives the other's FIN before the ACK of its own.</summary>
    public static IReadOnlyList<string> SimultaneousClose { get; } = new[] { "ESTABLISHED", "FIN_WAIT_1", "CLOSING", "TIME_WAIT", Closed };

    /// <summary>The connecting side of the handshake.</summary>
    public static IReadOnlyList<string> ActiveOpen { get; } = new[] { "SYN_SENT", "ESTABLISHED" };

    /// <summary>The accepting side of the handshake.</summary>
    public static IReadOnlyList<string> PassiveOpen { get; } = new[] { "SYN_RECEIVED", "ESTABLISHED" };

    // Order matters: when two paths explain a change, the first one wins. A socket that vanishes straight from
    // ESTABLISHED most likely closed passively within one interval (the active side would sit in TIME_WAIT for a minute).
    private static readonly IReadOnlyList<string>[] Paths = { PassiveClose, ActiveClose, SimultaneousClose, ActiveOpen, PassiveOpen };

    /// <summary>The states the usual path from one state to another passes through (empty if adjacent or if no usual path joins them).</summary>
    public static IReadOnlyList<string> Between(string from, string to)
    {
        foreach (var path in Paths)
        {
            var i = IndexOf(path, from);
            var j = IndexOf(path, to);
            if (i >= 0 && j > i)
            {
                return path.Skip(i + 1).Take(j - i - 1).ToArray();
            }
        }
        return Array.Empty<string>();
    }

    private static int IndexOf(IReadOnlyList<string> path, string state)
    {
        for (var i = 0; i < path.Count; i++)
        {
            if (path[i] == state)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>Every change of state of every socket in the samples, in order, with the unseen states of each.</summary>
    public static IReadOnlyList<StateTransition> Transitions(IReadOnlyList<Sample> samples)
    {
        var last = new Dictionary<string, (string State, double AtMs)>();
        var result = new List<StateTransition>();
        // A read of the table can miss a socket that is still there (it is rehashed, e.g. as an orphaned FIN_WAIT_2 becomes
        // a timewait sock): a socket counts as gone only when no later sample shows it again.
        var lastSeenAt = new Dictionary<string, int>();
        for (var i = 0; i < samples.Count; i++)
        {
            foreach (var entry in samples[i].Entries)
            {
                lastSeenAt[entry.Key] = i;
            }
        }
        for (var index = 0; index < samples.Count; index++)
        {
            var sample = samples[index];
            var seen = new HashSet<string>();
            foreach (var entry in sample.Entries)
            {
                if (!seen.Add(entry.Key))
                {
                    continue;
                }
                if (last.TryGetValue(entry.Key, out var previous) && previous.State != entry.StateName)
                {
                    result.Add(new StateTransition(entry.Key, previous.State, entry.StateName, previous.AtMs, sample.AtMs, Between(previous.State, entry.StateName)));
                }
                last[entry.Key] = (entry.StateName, sample.AtMs);
            }
            foreach (var key in last.Keys.Where(k => !seen.Contains(k) && lastSeenAt[k] < index).ToList())
            {
                var previous = last[key];
                result.Add(new StateTransition(key, previous.State, Closed, previous.AtMs, sample.AtMs, Between(previous.State, Closed)));
                last.Remove(key);
            }
        }
        return result;
    }
}

/// <summary>The machine names of the experiment's own actions, as <see cref="Timeline.Mark(string, string, string?)"/> records them.</summary>
public static class EventKinds
{
    /// <summary>A server started listening.</summary>
    public const string Listen = "listen";
    /// <summary>A client connected.</summary>
    public const string Connect = "connect";
    /// <summary>One end wrote bytes.</summary>
    public const string Send = "send";
    /// <summary>One end read what the other had sent (up to its end of stream).</summary>
    public const string Read = "read";
    /// <summary>One end called shutdown() (a half close).</summary>
    public const string Shutdown = "shutdown";
    /// <summary>One end called close().</summary>
    public const string Close = "close";
    /// <summary>A process was killed.</summary>
    public const string Kill = "kill";
    /// <summary>A bind() was attempted; the event's outcome is "ok" or the errno name.</summary>
    public const string Bind = "bind";
    /// <summary>A server was started again on the same port.</summary>
    public const string Restart = "restart";
}

/// <summary>Which end of a connection did something, as <see cref="Timeline.MarkBy"/> records it.</summary>
public static class EventSides
{
    /// <summary>The server's end (accepted socket or listener).</summary>
    public const string Server = "server";
    /// <summary>The client's end.</summary>
    public const string Client = "client";
    /// <summary>Both ends at once (a simultaneous close).</summary>
    public const string Both = "both";
}
