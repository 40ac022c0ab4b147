using System.Globalization;
using System.Text.Json.Nodes;
using AddressInUse.Capture;
using AddressInUse.Charts;
using AddressInUse.Lab;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Packets;

/// <summary>One connection captured in the private network lab: its segments, the program's actions, and what the kernel's table said at the end.</summary>
/// <param name="Scenario">The lab scenario ("client-closes-first", "lost-last-ack"…).</param>
/// <param name="CaseId">The results.json scenario id ("B1", "C2"…).</param>
/// <param name="CaseName">The results.json case name, unique in the course ("captured-lost-last-ack-no-time-wait").</param>
/// <param name="Title">What the run shows, for the diagram's title.</param>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="Trace">The captured connection, or null when not measured.</param>
/// <param name="Details">What the lab's child reported besides the trace (table at the end, counters, outcome…).</param>
/// <param name="Settings">The settings the lab ran with.</param>
public sealed record CapturedConnection(string Scenario, string CaseId, string CaseName, string Title, LabAvailability Lab, PacketTrace? Trace, JsonObject Details,
    IReadOnlyDictionary<string, string> Settings) : MeasuredResult
{
    /// <summary>"native" when the run's sockets act through the OS's calls the lab names, "dotnet" when the step under test is .NET's own (the C# linger-zero close).</summary>
    public string Api { get; init; } = "native";

    /// <summary>The lab's network namespace ("net:[…]"), which ended with the lab's child; null when not measured.</summary>
    public string? Namespace { get; init; }

    /// <summary>Whether a RST reaching TIME_WAIT is ignored in this run (tcp_rfc1337=1 in the lab).</summary>
    public bool Rfc1337 => Settings.GetValueOrDefault("net.ipv4.tcp_rfc1337") == "1";

    /// <summary>Whether the kernel counted a TIME_WAIT overflow in this run (TcpExtTCPTimeWaitOverflow above 0 in the lab's fresh namespace): its TIME_WAIT was skipped.</summary>
    public bool TimeWaitSkipped => Details["tw_overflow_counter"] is JsonValue v && v.TryGetValue<long>(out var n) && n > 0;

    /// <summary>The client end's states, derived from the capture (empty when not measured).</summary>
    public IReadOnlyList<StateChange> ClientStates => Trace is null ? [] : TcpStateMachine.Infer(Trace, "client", Rfc1337, TimeWaitSkipped);

    /// <summary>The server end's states, derived from the capture (empty when not measured).</summary>
    public IReadOnlyList<StateChange> ServerStates => Trace is null ? [] : TcpStateMachine.Infer(Trace, "server", Rfc1337, TimeWaitSkipped);

    /// <summary>The segments' flags in order, as "client>server FIN,ACK" (dropped and injected ones say so).</summary>
    public IReadOnlyList<string> Arrows => Trace?.Arrows ?? [];

    /// <summary>True when the derived final states are what the kernel's table showed at the end (a gone entry counts as CLOSED).</summary>
    public bool? AgreesWithTable => Trace is null || Details["table_at_end"] is not JsonObject table ? null
        : (table["client"]?.GetValue<string>() ?? "CLOSED") == TcpStateMachine.KernelName(ClientStates[^1].State)
          && (table["server"]?.GetValue<string>() ?? "CLOSED") == TcpStateMachine.KernelName(ServerStates[^1].State);

    /// <summary>The sequence diagram (or a figure that says it was not measured here).</summary>
    public Figure Chart => Trace is null
        ? new Figure($"packets-{CaseName}", $"{Title}: not measured here ({Lab.Reason})")
        : SequenceChart.Build($"packets-{CaseName}", $"{Title} (captured in the lab)", Trace, Rfc1337, timeWaitSkipped: TimeWaitSkipped);

    /// <summary>One record when the lab ran: the details, and the segments' summary (arrows, derived states, capture completeness).</summary>
    public override IEnumerable<CaseRecord> Cases
    {
        get
        {
            if (Trace is null)
            {
                return [];
            }
            var details = (JsonObject)Details.DeepClone();
            details["packets"] = Trace.Summary(Rfc1337, TimeWaitSkipped);
            details["agrees_with_table"] = AgreesWithTable;
            var side = new SocketSide("127.0.0.1", "tcp", []);
            return [new CaseRecord(CaseId, CaseName, Api, "tcp", TcpStateMachine.KernelName(ServerStates[^1].State).ToLowerInvariant(), side, side, "close", "ok", null)
            {
                Settings = Settings.Count == 0 ? null : Settings, Details = details,
            }];
        }
    }

    /// <summary>The segments as a table (time, direction, flags, numbers, timestamp option), with each derived state change beside its cause.</summary>
    public override string ToHtml()
    {
        if (Trace is null)
        {
            return $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p>";
        }
        var client = ClientStates.Where(c => c.Cause >= 0).ToLookup(c => c.Cause);
        var server = ServerStates.Where(c => c.Cause >= 0).ToLookup(c => c.Cause);
        var rows = Trace.Segments.Select((s, i) => (IEnumerable<string>)
        [
            Html.E((s.AtUs / 1000).ToString("0.000", CultureInfo.InvariantCulture)),
            Html.E(s.From == "client" ? "client → server" : "client ← server"),
            $"<b>{Html.E(s.Flags)}</b>{(s.Dropped ? " <i>(dropped)</i>" : "")}{(s.Injected ? " <i>(injected)</i>" : "")}",
            Html.E(s.Seq), Html.E(s.Has("ACK") ? s.Ack : ""), Html.E(s.Window), Html.E(s.Length),
            Html.E(s.TsVal is { } v ? $"{v}/{s.TsEcr}" : "–"),
            Html.E(string.Join(", ", client[i].Select(c => c.State))), Html.E(string.Join(", ", server[i].Select(c => c.State))),
        ]);
        // The lab's own measurements besides the segments (counters, outcome, attempts), one plain line.
        var notes = string.Join(", ", Details.Where(d => d.Value is JsonValue).Select(d => $"{d.Key.Replace('_', ' ')} {d.Value}"));
        return $"<p>{Html.E(ToString())}</p>" + (notes.Length > 0 ? $"<p>Lab: {Html.E(notes)}.</p>" : "") + Html.Table(["ms", "direction", "flags", "seq", "ack", WindowColumn, "len", "TSval/TSecr", "client becomes", "server becomes"], rows)
            + $"<p>{Html.E(CaptureNote())}</p>";
    }

    /// <summary>The table's window column: the header's 16-bit field as sent, which the peer multiplies by 2^(its window scale) (RFC 7323 §2.2).</summary>
    public const string WindowColumn = "win (raw, before window scaling)";

    /// <summary>
    /// The line under the capture table: whether the capture was complete, what its count covers when the run made several
    /// connections (the table shows the last), and why the kernel's count can exceed the frames captured.
    /// </summary>
    public string CaptureNote()
    {
        if (Trace is null)
        {
            return $"Not measured here: {Lab.Reason}.";
        }

        var count = Trace.Count;
        var note = count.Describe() + ".";
        if (count.Kept != Trace.Segments.Count)
        {
            var attempts = Details["attempts"] is JsonValue a && a.TryGetValue<int>(out var n) ? $" ({n.ToString(CultureInfo.InvariantCulture)} attempts)" : "";
            note += string.Create(CultureInfo.InvariantCulture, $" The count covers every connection of this run{attempts}; the table shows the last one's {Trace.Segments.Count} segments.");
        }
        if (count.KeptInKernelUnits is { } units && units != count.Kept)
        {
            note += " The kernel counts one segment per MSS of payload (tcp_skb_pcount): the MSS was cut to half the peer's largest window (tcp_bound_to_half_wnd, net/ipv4/tcp_output.c), so a frame carrying two MSS counts twice.";
        }
        return note;
    }

    /// <summary>"6 segments; client CLOSED > … > TIME_WAIT; server …; the table agrees".</summary>
    public override string ToString() => Trace is null ? $"{Title}: not measured here ({Lab.Reason})"
        : $"{Title}: {Trace.Segments.Count} segments captured; client {string.Join(" → ", ClientStates.Select(c => c.State))}; server {string.Join(" → ", ServerStates.Select(c => c.State))}"
          + (AgreesWithTable switch { true => "; the kernel's table agrees at the end", false => "; the kernel's table shows otherwise at the end", _ => "" })
          + (Trace.Count.SocketDrops > 0 ? $"; the capture dropped {Trace.Count.SocketDrops} frames" : "");
}

/// <summary>The TIME_WAIT overflow in the lab: tcp_max_tw_buckets small, connections beyond it skip TIME_WAIT, and the kernel counts them.</summary>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="Buckets">tcp_max_tw_buckets set in the lab.</param>
/// <param name="Connections">Server-closed connections made.</param>
/// <param name="TimeWaitEntries">TIME_WAIT entries in the lab's table afterwards.</param>
/// <param name="OverflowCounted">The rise of TcpExtTCPTimeWaitOverflow in the lab's /proc/net/netstat.</param>
public sealed record TimeWaitOverflowOutcome(LabAvailability Lab, int Buckets, int Connections, int TimeWaitEntries, long? OverflowCounted) : MeasuredResult
{
    /// <summary>One C2 record when the lab ran.</summary>
    public override IEnumerable<CaseRecord> Cases => !Lab.Available ? [] :
    [
        new CaseRecord("C2", "captured-time-wait-overflow", "native", "tcp", "time_wait", new SocketSide("127.0.0.1", "tcp", []), new SocketSide("127.0.0.1", "tcp", []), "close", "ok", null)
        {
            Settings = new Dictionary<string, string> { ["net.ipv4.tcp_max_tw_buckets"] = Buckets.ToString(CultureInfo.InvariantCulture) },
            Details = new JsonObject { ["connections"] = Connections, ["time_wait_entries"] = TimeWaitEntries, ["overflow_counted"] = OverflowCounted, ["buckets"] = Buckets },
        },
    ];

    /// <summary>A small table.</summary>
    public override string ToHtml() => Lab.Available
        ? Html.Table(["tcp_max_tw_buckets in the lab", "server-closed connections", "TIME_WAIT entries", "TcpExtTCPTimeWaitOverflow rose by"],
            [[Html.E(Buckets), Html.E(Connections), Html.E(TimeWaitEntries), Html.E(OverflowCounted?.ToString(CultureInfo.InvariantCulture) ?? "n/a")]])
        : $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p>";

    /// <summary>One line.</summary>
    public override string ToString() => Lab.Available
        ? $"{Connections} closes with tcp_max_tw_buckets={Buckets}: {TimeWaitEntries} TIME_WAIT entries, TCPTimeWaitOverflow +{OverflowCounted}"
        : $"not measured here: {Lab.Reason}";
}

/// <summary>How the lost-last-ack run treats the end that closed first.</summary>
public enum LastAckCloser
{
    /// <summary>An ordinary close: the closer keeps TIME_WAIT.</summary>
    TimeWait,

    /// <summary>The closer calls close() with SO_LINGER {on, 0} after its TIME_WAIT began.</summary>
    LingerZeroClose,

    /// <summary>The lab's tcp_max_tw_buckets is 0, so the closer keeps no TIME_WAIT at all.</summary>
    NoTimeWait,
}

/// <summary>Runs connections in the private network lab with every segment captured, for the sequence diagrams and the reasons for TIME_WAIT.</summary>
public static class SeeThePackets
{
    /// <summary>A plain close in one order (B1).</summary>
    public static Task<CapturedConnection> CloseAsync(Teardown.CloseOrder order, CancellationToken cancellationToken = default) => order == Teardown.CloseOrder.ClientClosesFirst
        ? RunAsync("client-closes-first", "B1", "captured-client-closes-first", "The client closes first", cancellationToken: cancellationToken)
        : RunAsync("server-closes-first", "B1", "captured-server-closes-first", "The server closes first", cancellationToken: cancellationToken);

    /// <summary>Both ends fill the pipe and shut down their sending side (B2): each FIN waits behind data.</summary>
    public static Task<CapturedConnection> StuffedPipeAsync(CancellationToken cancellationToken = default) =>
        RunAsync("stuffed-pipe", "B2", "captured-stuffed-pipe", "Stuffed pipe: both FINs queued behind unread data", cancellationToken: cancellationToken);

    /// <summary>The passive closer's FIN queued behind data the other end does not read yet (B2): LAST_ACK held.</summary>
    public static Task<CapturedConnection> LastAckAsync(CancellationToken cancellationToken = default) =>
        RunAsync("last-ack", "B2", "captured-last-ack", "LAST_ACK behind data", cancellationToken: cancellationToken);

    /// <summary>Both ends shut down at once (B3); when the scheduler never lets the FINs cross, the last attempt drops each FIN's first copy once so they do.</summary>
    public static Task<CapturedConnection> SimultaneousAsync(int attempts = 10, CancellationToken cancellationToken = default) =>
        RunAsync("simultaneous", "B3", "captured-simultaneous-close", "Simultaneous close", arguments: new JsonObject { ["attempts"] = attempts }, cancellationToken: cancellationToken);

    /// <summary>The client half-closes and the server keeps sending (B1, chapter 04).</summary>
    public static Task<CapturedConnection> HalfClosedDataAsync(CancellationToken cancellationToken = default) =>
        RunAsync("half-closed-data", "B1", "captured-half-closed-data", "Half closed: data still flows after the client's FIN", cancellationToken: cancellationToken);

    /// <summary>C#'s Socket.Close() after Socket.LingerState = new LingerOption(true, 0) (F2): what .NET's close sends, through .NET's own option and close path.</summary>
    public static async Task<CapturedConnection> LingerZeroAsync(CancellationToken cancellationToken = default) =>
        await RunAsync("linger-zero", "F2", "captured-linger-zero", "C# Close() with LingerState (true, 0)", cancellationToken: cancellationToken).ConfigureAwait(false) with { Api = "dotnet" };

    /// <summary>close() with unread data in the receive queue, as a killed process's sockets are closed (F2): a RST.</summary>
    public static Task<CapturedConnection> CloseWithUnreadDataAsync(CancellationToken cancellationToken = default) =>
        RunAsync("close-unread", "F2", "captured-close-with-unread-data", "close() (or a kill) with unread data", cancellationToken: cancellationToken);

    /// <summary>A process holding the server's socket is killed (SIGKILL) with data unread in it (F2): the kernel's close sends a RST.</summary>
    public static Task<CapturedConnection> KillWithUnreadDataAsync(CancellationToken cancellationToken = default) =>
        RunAsync("kill-unread", "F2", "captured-kill-with-unread-data", "A kill with unread data", cancellationToken: cancellationToken);

    /// <summary>Reason 1 for TIME_WAIT (C2): the lab drops the active closer's final ACK once, and the passive closer retransmits its FIN.</summary>
    public static Task<CapturedConnection> LostLastAckAsync(LastAckCloser closer = LastAckCloser.TimeWait, CancellationToken cancellationToken = default) => closer switch
    {
        LastAckCloser.TimeWait => RunAsync("lost-last-ack", "C2", "captured-lost-last-ack", "The last ACK lost, TIME_WAIT answers",
            arguments: new JsonObject(), cancellationToken: cancellationToken),
        LastAckCloser.LingerZeroClose => RunAsync("lost-last-ack", "C2", "captured-lost-last-ack-linger-close", "The last ACK lost, then close() with SO_LINGER {on, 0}",
            arguments: new JsonObject { ["linger_close"] = true }, cancellationToken: cancellationToken),
        _ => RunAsync("lost-last-ack", "C2", "captured-lost-last-ack-no-time-wait", "The last ACK lost, and no TIME_WAIT (tcp_max_tw_buckets = 0)",
            new Dictionary<string, string> { ["net.ipv4.tcp_max_tw_buckets"] = "0" }, cancellationToken: cancellationToken),
    };

    /// <summary>A new SYN on the same four-tuple meets the server's TIME_WAIT (C2), with or without TCP timestamps in the lab.</summary>
    public static Task<CapturedConnection> NewSynAsync(bool timestamps, CancellationToken cancellationToken = default) =>
        RunAsync("new-syn", "C2", timestamps ? "captured-new-syn-timestamps" : "captured-new-syn-no-timestamps",
            $"A new SYN meets TIME_WAIT (tcp_timestamps = {(timestamps ? 1 : 0)})", new Dictionary<string, string> { ["net.ipv4.tcp_timestamps"] = timestamps ? "1" : "0" },
            cancellationToken: cancellationToken);

    /// <summary>A RST, injected by the lab through a raw socket with the sequence number read from the capture, meets the server's TIME_WAIT (C2).</summary>
    public static Task<CapturedConnection> ResetIntoTimeWaitAsync(bool rfc1337, CancellationToken cancellationToken = default) =>
        RunAsync("rst-meets-time-wait", "C2", rfc1337 ? "captured-rst-rfc1337-on" : "captured-rst-rfc1337-off",
            $"An injected RST meets TIME_WAIT (tcp_rfc1337 = {(rfc1337 ? 1 : 0)})", new Dictionary<string, string> { ["net.ipv4.tcp_rfc1337"] = rfc1337 ? "1" : "0" },
            cancellationToken: cancellationToken);

    /// <summary>The overflow (C2): server-closed connections beyond a small tcp_max_tw_buckets skip TIME_WAIT, counted by TcpExtTCPTimeWaitOverflow.</summary>
    public static async Task<TimeWaitOverflowOutcome> OverflowAsync(int buckets = 3, int connections = 8, CancellationToken cancellationToken = default)
    {
        if (buckets is < 0 or > 100 || connections is < 1 or > 200)
        {
            throw new ArgumentOutOfRangeException(nameof(connections), $"Use 0-100 buckets and 1-200 connections (got {buckets} and {connections}).");
        }
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new TimeWaitOverflowOutcome(lab, buckets, connections, 0, null);
        }
        var result = await NetworkLab.RunAsync(PacketScenarios.Experiment, new Dictionary<string, string> { ["net.ipv4.tcp_max_tw_buckets"] = buckets.ToString(CultureInfo.InvariantCulture) },
            new JsonObject { ["scenario"] = "overflow", ["connections"] = connections }, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        return new TimeWaitOverflowOutcome(lab, buckets, connections, result["time_wait_entries"]!.GetValue<int>(), result["overflow_counted"]?.GetValue<long>());
    }

    private static async Task<CapturedConnection> RunAsync(string scenario, string caseId, string caseName, string title, IReadOnlyDictionary<string, string>? settings = null,
        JsonObject? arguments = null, CancellationToken cancellationToken = default)
    {
        settings ??= new Dictionary<string, string>();
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new CapturedConnection(scenario, caseId, caseName, title, lab, null, new JsonObject(), settings);
        }
        var request = (JsonObject?)arguments?.DeepClone() ?? new JsonObject();
        request["scenario"] = scenario;
        var result = await NetworkLab.RunAsync(PacketScenarios.Experiment, settings, request, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        var trace = PacketTrace.FromJson(result["trace"]!.AsObject());
        var details = new JsonObject();
        foreach (var (key, value) in result)
        {
            if (key is not ("trace" or "namespace" or "settings" or "scenario"))
            {
                details[key] = value?.DeepClone();
            }
        }
        return new CapturedConnection(scenario, caseId, caseName, title, lab, trace, details, settings) { Namespace = result["namespace"]?.GetValue<string>() };
    }
}
