using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Lab;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Teardown;

/// <summary>C4 in the lab: how long an orphaned FIN_WAIT_2 lived with tcp_fin_timeout set inside a private namespace.</summary>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="FinTimeoutSeconds">tcp_fin_timeout set in the lab.</param>
/// <param name="HostFinTimeout">The machine's own tcp_fin_timeout, read (never written).</param>
/// <param name="Seconds">How long the orphan's FIN_WAIT_2 stayed in the lab's table, or null when not measured.</param>
/// <param name="Spans">The orphan's states in the lab: (state, from ms, to ms) since its close.</param>
public sealed record FinTimeoutOutcome(LabAvailability Lab, int FinTimeoutSeconds, string? HostFinTimeout, double? Seconds, IReadOnlyList<StateSpan> Spans) : MeasuredResult
{
    /// <summary>The results.json record, only when the lab ran: a chapter's sentence about the lab is then judged, and is "not measured" otherwise.</summary>
    public override IEnumerable<CaseRecord> Cases => !Lab.Available ? [] :
    [
        TimeWaitSettings.LabCase("fin-timeout-orphan", Seconds is null ? "not_ended" : "ok", new JsonObject
        {
            ["tcp_fin_timeout_lab"] = FinTimeoutSeconds, ["host_tcp_fin_timeout"] = HostFinTimeout, ["seconds"] = Seconds,
            ["states"] = new JsonArray(Spans.Select(s => (JsonNode)s.State).Distinct().ToArray()),
        }, "fin_wait_2"),
    ];

    /// <summary>The orphan's states on a timeline, seconds since the program closed it.</summary>
    public Figure Chart
    {
        get
        {
            var history = new SocketHistory("orphan", "client", "server", Spans.Select(s => s with { FromMs = s.FromMs / 1000, ToMs = s.ToMs / 1000, LastSeenMs = s.LastSeenMs / 1000 }).ToList());
            var figure = TimelineChart.Build("c4-fin-timeout-lab", Seconds is { } s
                    ? $"C4 with tcp_fin_timeout = {FinTimeoutSeconds} s in the lab: the orphaned FIN_WAIT_2 lasted {s:0.0} s"
                    : "C4 not measured: the private network lab is unavailable here",
                [new TimelineLane("orphaned client end", history, 0)], [], "s since the program closed the socket");
            return figure;
        }
    }

    /// <summary>A small table.</summary>
    public override string ToHtml() => Lab.Available
        ? Html.Table(["tcp_fin_timeout in the lab", "orphaned FIN_WAIT_2 lasted", "this machine's own tcp_fin_timeout (untouched)"],
            [[Html.E($"{FinTimeoutSeconds} s"), Html.E(Seconds is { } s ? $"{s:0.00} s" : "did not end"), Html.E(HostFinTimeout ?? "n/a")]])
        : $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}. This machine's tcp_fin_timeout (read, not changed): {Html.E(HostFinTimeout ?? "n/a")}.</p>";

    /// <summary>One line.</summary>
    public override string ToString() => Seconds is { } s ? $"orphaned FIN_WAIT_2 lasted {s:0.00} s with tcp_fin_timeout={FinTimeoutSeconds}" : $"C4 lab not run: {Lab.Reason}";
}

/// <summary>C4 in the lab: what tcp_max_tw_buckets does to new TIME_WAIT entries.</summary>
/// <param name="Lab">Whether the lab ran, and why not.</param>
/// <param name="Connections">Server-closed connections made with each setting.</param>
/// <param name="DefaultBuckets">tcp_max_tw_buckets as the namespace starts.</param>
/// <param name="SeenWithDefault">TIME_WAIT entries seen after the connections with the default.</param>
/// <param name="SmallBuckets">The small limit set in the lab.</param>
/// <param name="SeenWithSmall">TIME_WAIT entries seen after the connections with the small limit.</param>
/// <param name="HostBuckets">The machine's own tcp_max_tw_buckets, read (never written).</param>
/// <param name="PresentBeforeSmall">TIME_WAIT entries already in the lab's table (the first connections') when the small limit was set, or null when not read.</param>
public sealed record TimeWaitBucketsOutcome(LabAvailability Lab, int Connections, string? DefaultBuckets, int SeenWithDefault, int SmallBuckets, int SeenWithSmall, string? HostBuckets,
    int? PresentBeforeSmall = null) : MeasuredResult
{
    /// <summary>The results.json record, only when the lab ran.</summary>
    public override IEnumerable<CaseRecord> Cases => !Lab.Available ? [] :
    [
        TimeWaitSettings.LabCase("tw-buckets", "ok", new JsonObject
        {
            ["connections"] = Connections, ["default_buckets"] = DefaultBuckets, ["seen_default"] = SeenWithDefault,
            ["small_buckets"] = SmallBuckets, ["seen_small"] = SeenWithSmall, ["host_tcp_max_tw_buckets"] = HostBuckets,
            ["present_before_small"] = PresentBeforeSmall,
        }, "time_wait"),
    ];

    /// <summary>A small table.</summary>
    public override string ToHtml() => Lab.Available
        // Two columns, so that "0 new" beside "20 already present" shows why the small limit let none in (reviewer finding 13).
        ? Html.Table(["tcp_max_tw_buckets in the lab", "TIME_WAIT entries already in the lab's table", "server-closed connections", "new TIME_WAIT entries from these connections"],
            [[Html.E(DefaultBuckets ?? "?"), "0", Html.E(Connections), Html.E(SeenWithDefault)],
             [Html.E(SmallBuckets), Html.E(PresentBeforeSmall?.ToString(CultureInfo.InvariantCulture) ?? "not read"), Html.E(Connections), Html.E(SeenWithSmall)]])
            + $"<p>This machine's own tcp_max_tw_buckets (untouched): {Html.E(HostBuckets ?? "n/a")}.</p>"
        : $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}. This machine's tcp_max_tw_buckets (read, not changed): {Html.E(HostBuckets ?? "n/a")}.</p>";

    /// <summary>One line.</summary>
    public override string ToString() => Lab.Available ? $"{Connections} closes: {SeenWithDefault} TIME_WAIT with {DefaultBuckets} buckets, {SeenWithSmall} with {SmallBuckets}" : $"C4 lab not run: {Lab.Reason}";
}

/// <summary>C4 in the lab: one TIME_WAIT entry's lifetime with tcp_fin_timeout set to a few seconds inside a private namespace.</summary>
/// <param name="Lab">Whether the lab ran, and why not (quick mode skips it too).</param>
/// <param name="FinTimeoutSeconds">tcp_fin_timeout set in the lab.</param>
/// <param name="Seconds">How long the TIME_WAIT entry lived, or null when not measured.</param>
public sealed record TimeWaitLengthOutcome(LabAvailability Lab, int FinTimeoutSeconds, double? Seconds) : MeasuredResult
{
    /// <summary>The results.json record, only when the lab ran.</summary>
    public override IEnumerable<CaseRecord> Cases => !Lab.Available ? [] :
    [
        TimeWaitSettings.LabCase("time-wait-with-short-fin-timeout", Seconds is null ? "not_ended" : "ok",
            new JsonObject { ["tcp_fin_timeout_lab"] = FinTimeoutSeconds, ["seconds"] = Seconds }, "time_wait"),
    ];

    /// <summary>One line.</summary>
    public override string ToHtml() => Lab.Available
        ? $"<p>In the lab with tcp_fin_timeout = {Html.E(FinTimeoutSeconds)} s, the TIME_WAIT entry lived <b>{Html.E(Seconds is { } s ? $"{s:0.00} s" : "longer than the lab waited")}</b>.</p>"
        : $"<p><b>Not measured here:</b> {Html.E(Lab.Reason)}.</p>";

    /// <summary>One line.</summary>
    public override string ToString() => Lab.Available ? $"TIME_WAIT lived {Seconds:0.00} s with tcp_fin_timeout={FinTimeoutSeconds} in the lab" : $"C4 lab not run: {Lab.Reason}";
}

/// <summary>Scenario C4 made visible: the TIME_WAIT-related settings changed inside the private network lab, never on the machine.</summary>
public static class TimeWaitSettings
{
    /// <summary>The lab experiment that orphans a FIN_WAIT_2 under a short tcp_fin_timeout.</summary>
    public const string FinTimeoutExperiment = "fin-timeout";

    /// <summary>The lab experiment that fills TIME_WAIT under the default and a small tcp_max_tw_buckets.</summary>
    public const string TimeWaitBucketsExperiment = "tw-buckets";

    /// <summary>The lab experiment that times a TIME_WAIT entry under a changed tcp_fin_timeout.</summary>
    public const string TimeWaitLengthExperiment = "tw-length";

    /// <summary>Orphans a FIN_WAIT_2 in a lab whose tcp_fin_timeout is a few seconds, and times how long it stays.</summary>
    public static async Task<FinTimeoutOutcome> FinTimeoutAsync(int finTimeoutSeconds = 3, CancellationToken cancellationToken = default)
    {
        if (finTimeoutSeconds is < 1 or > 30)
        {
            throw new ArgumentOutOfRangeException(nameof(finTimeoutSeconds), finTimeoutSeconds, "Use 1 to 30 seconds, so the chapter waits only briefly.");
        }
        var host = LabSettings.Read("net.ipv4.tcp_fin_timeout");
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new FinTimeoutOutcome(lab, finTimeoutSeconds, host, null, []);
        }
        var result = await NetworkLab.RunAsync(FinTimeoutExperiment, new Dictionary<string, string> { ["net.ipv4.tcp_fin_timeout"] = finTimeoutSeconds.ToString(CultureInfo.InvariantCulture) },
            timeout: TimeSpan.FromSeconds(finTimeoutSeconds + 60), cancellationToken: cancellationToken).ConfigureAwait(false);
        var spans = result["spans"]!.AsArray().Select(s => new StateSpan(s!["state"]!.GetValue<string>(), s["from_ms"]!.GetValue<double>(), s["to_ms"]!.GetValue<double>(), s["samples"]!.GetValue<int>(), s["last_seen_ms"]?.GetValue<double>())).ToList();
        return new FinTimeoutOutcome(lab, finTimeoutSeconds, host, result["seconds"]?.GetValue<double>(), spans);
    }

    /// <summary>Makes server-closed connections in a lab, first with its default tcp_max_tw_buckets, then with a small one, and counts the TIME_WAIT entries.</summary>
    public static async Task<TimeWaitBucketsOutcome> BucketsAsync(int connections = 20, int smallBuckets = 4, CancellationToken cancellationToken = default)
    {
        var host = LabSettings.Read("net.ipv4.tcp_max_tw_buckets");
        var lab = NetworkLab.Availability;
        if (!lab.Available)
        {
            return new TimeWaitBucketsOutcome(lab, connections, null, 0, smallBuckets, 0, host);
        }
        var result = await NetworkLab.RunAsync(TimeWaitBucketsExperiment, new Dictionary<string, string>(),
            new JsonObject { ["connections"] = connections, ["small"] = smallBuckets }, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        return new TimeWaitBucketsOutcome(lab, connections, result["default"]?.GetValue<string>(), result["seen_default"]!.GetValue<int>(), smallBuckets, result["seen_small"]!.GetValue<int>(), host,
            result["present_before_small"]?.GetValue<int>());
    }

    /// <summary>Measures one TIME_WAIT entry's lifetime in a lab whose tcp_fin_timeout is set to a few seconds: TIME_WAIT does not follow it.</summary>
    /// <param name="finTimeoutSeconds">tcp_fin_timeout set in the lab.</param>
    /// <param name="quick">Skips the minute-long wait; the outcome then says so.</param>
    /// <param name="cancellationToken">Stops the lab.</param>
    public static async Task<TimeWaitLengthOutcome> TimeWaitLengthAsync(int finTimeoutSeconds = 3, bool quick = false, CancellationToken cancellationToken = default)
    {
        var lab = quick ? new LabAvailability(false, "quick mode skips the minute-long wait") : NetworkLab.Availability;
        if (!lab.Available)
        {
            return new TimeWaitLengthOutcome(lab, finTimeoutSeconds, null);
        }
        var result = await NetworkLab.RunAsync(TimeWaitLengthExperiment, new Dictionary<string, string> { ["net.ipv4.tcp_fin_timeout"] = finTimeoutSeconds.ToString(CultureInfo.InvariantCulture) },
            timeout: TimeSpan.FromSeconds(200), cancellationToken: cancellationToken).ConfigureAwait(false);
        return new TimeWaitLengthOutcome(lab, finTimeoutSeconds, result["seconds"]?.GetValue<double>());
    }

    /// <summary>A C4 lab case on loopback, as results.json records it.</summary>
    internal static CaseRecord LabCase(string name, string outcome, JsonObject details, string holder)
    {
        var side = new SocketSide("127.0.0.1", "tcp", []);
        return new CaseRecord("C4", name, "native", "tcp", holder, side, side, "observe", outcome, null) { Details = details };
    }

    /// <summary>The lab child's side of <see cref="TimeWaitLengthAsync"/>: one server-closed connection, its TIME_WAIT polled until gone.</summary>
    [InsideLab(TimeWaitLengthExperiment)]
    internal static async Task<JsonObject> TimeWaitLengthInsideAsync(CancellationToken cancellationToken = default)
    {
        using var listener = NativeSocket.ListenOnLoopback();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Stopwatch clock;
        using (var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
        {
            await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
            using (var server = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false))
            {
                server.Shutdown(SocketShutdown.Both);
            }
            await client.ReceiveAsync(new byte[1], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            // The entry is born when the client's close reaches the server, so a clock started before that close never
            // starts late: a loaded machine that is slow to see the entry appear cannot make the lifetime look shorter.
            clock = Stopwatch.StartNew();
        }
        bool Present() => TcpTable.ReadPorts([port]).Any(e => e.Local.Port == port && e.State == System.Net.NetworkInformation.TcpState.TimeWait);
        await Poll.UntilAsync(Present, TimeSpan.FromSeconds(5), "the TIME_WAIT entry to appear", cancellationToken: cancellationToken).ConfigureAwait(false);
        // A read every 50 ms is precise enough for a minute-long wait and keeps the child nearly idle.
        var gone = false;
        while (!gone && clock.Elapsed < TimeSpan.FromSeconds(180))
        {
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
            gone = !Present();
        }
        return new JsonObject { ["seconds"] = gone ? Math.Round(clock.Elapsed.TotalSeconds, 3) : null };
    }

    /// <summary>The lab child's side of <see cref="FinTimeoutAsync"/>.</summary>
    [InsideLab(FinTimeoutExperiment)]
    internal static async Task<JsonObject> OrphanFinWait2InsideAsync(CancellationToken cancellationToken = default)
    {
        using var listener = NativeSocket.ListenOnLoopback();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
        var clientEnd = TcpTable.Normalize((IPEndPoint)client.LocalEndPoint!).ToString();
        // The server accepts and never closes, so the client's FIN is acknowledged and its end waits in FIN_WAIT_2.
        using var accepted = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        var timeline = new Timeline();
        await using var sampler = TcpSampler.ForPorts(timeline, [port], TimeSpan.FromMilliseconds(20));
        var closedAt = timeline.NowMs;
        client.Close(); // orphaned: the program no longer has the socket, only the kernel does
        var gone = await Poll.TryUntilAsync(() => timeline.Latest is { } s && timeline.NowMs - closedAt > 100 && !s.Entries.Any(e => e.Local.ToString() == clientEnd),
            TimeSpan.FromSeconds(60), cancellationToken: cancellationToken).ConfigureAwait(false);
        var history = timeline.Histories().FirstOrDefault(h => h.Local == clientEnd);
        var finWait2 = history?.Spans.Where(s => s.State == "FIN_WAIT_2").ToList() ?? [];
        return new JsonObject
        {
            ["seconds"] = gone && finWait2.Count > 0 ? (finWait2[^1].ToMs - finWait2[0].FromMs) / 1000 : null,
            ["spans"] = new JsonArray((history?.Spans ?? []).Where(s => s.ToMs >= closedAt).Select(s => (JsonNode)new JsonObject
            {
                ["state"] = s.State,
                ["from_ms"] = Math.Round(Math.Max(0, s.FromMs - closedAt), 1),
                ["to_ms"] = Math.Round(s.ToMs - closedAt, 1),
                ["samples"] = s.Samples,
                ["last_seen_ms"] = Math.Round(Math.Max(0, s.SeenUntilMs - closedAt), 1),
            }).ToArray()),
        };
    }

    /// <summary>The lab child's side of <see cref="BucketsAsync"/>.</summary>
    [InsideLab(TimeWaitBucketsExperiment)]
    internal static async Task<JsonObject> TimeWaitBucketsInsideAsync(JsonObject arguments, CancellationToken cancellationToken = default)
    {
        var connections = arguments["connections"]?.GetValue<int>() ?? 20;
        var small = arguments["small"]?.GetValue<int>() ?? 4;
        var defaultBuckets = LabSettings.Read("net.ipv4.tcp_max_tw_buckets");
        var seenDefault = await CloseManyAsync(connections, cancellationToken).ConfigureAwait(false);
        LabSettings.Write("net.ipv4.tcp_max_tw_buckets", small.ToString(CultureInfo.InvariantCulture));
        // The lab's namespace is the course's own, so every TIME_WAIT entry in its table is one of the first connections'.
        var present = TcpTable.Read(e => e.State == System.Net.NetworkInformation.TcpState.TimeWait).Count;
        var seenSmall = await CloseManyAsync(connections, cancellationToken).ConfigureAwait(false);
        return new JsonObject { ["default"] = defaultBuckets, ["seen_default"] = seenDefault, ["present_before_small"] = present, ["seen_small"] = seenSmall };
    }

    // Server-closed connections on a fresh listener; returns how many TIME_WAIT entries its port shows once all are closed.
    private static async Task<int> CloseManyAsync(int connections, CancellationToken cancellationToken)
    {
        using var listener = NativeSocket.ListenOnLoopback(connections + 8);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        for (var i = 0; i < connections; i++)
        {
            await LoopbackServer.ServerClosesFirstAsync(listener, cancellationToken).ConfigureAwait(false);
        }
        int Count() => TcpTable.ReadPorts([port]).Count(e => e.Local.Port == port && e.State == System.Net.NetworkInformation.TcpState.TimeWait);
        // The last close's TIME_WAIT appears within moments; poll until the count settles.
        var last = -1;
        var clock = Stopwatch.StartNew();
        await Poll.TryUntilAsync(() =>
        {
            var now = Count();
            var settled = now == last && clock.ElapsedMilliseconds > 200;
            last = now;
            return settled;
        }, TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false);
        return Count();
    }
}
