using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;
using AddressInUse.Diagnosis;

namespace AddressInUse.Experiments.Teardown;

/// <summary>C1: how long a TIME_WAIT entry lasts here, from the first sample that showed it to the first that did not.</summary>
/// <param name="Port">The server port.</param>
/// <param name="ServerKey">The server end (which closed first and holds TIME_WAIT).</param>
/// <param name="BornAtMs">The first sample that showed TIME_WAIT.</param>
/// <param name="GoneAtMs">The first sample without the entry, or null in quick mode.</param>
/// <param name="PrecisionMs">The widest gap between the samples around birth and disappearance.</param>
/// <param name="BindDuring">A native bind without options while the entry lived.</param>
/// <param name="BindAfter">The same bind once it had gone (null in quick mode).</param>
/// <param name="Timeline">Samples and actions.</param>
public sealed record TimeWaitDurationOutcome(int Port, string ServerKey, double BornAtMs, double? GoneAtMs, double PrecisionMs, StepResult BindDuring, StepResult? BindAfter, Timeline Timeline)
    : MeasuredResult
{
    /// <summary>What the environment did, when it interfered: the port was held by another program when it was bound again; never a lesson result.</summary>
    public string? EnvironmentNote { get; init; }

    /// <summary>The measured length in seconds, or null when the wait was skipped.</summary>
    public double? Seconds => GoneAtMs is { } gone ? (gone - BornAtMs) / 1000 : null;

    /// <summary>Both binds as results.json cases.</summary>
    public override IEnumerable<CaseRecord> Cases
    {
        get
        {
            var side = new SocketSide("127.0.0.1", "tcp", Array.Empty<string>());
            var details = new JsonObject { ["port"] = Port, ["time_wait_seconds"] = Seconds is { } s ? Math.Round(s, 2) : null, ["precision_ms"] = Math.Round(PrecisionMs, 1) };
            if (EnvironmentNote is { } note)
            {
                details["environment"] = note;
            }
            yield return new CaseRecord("C1", "bind-during-time-wait", "native", "tcp", "time_wait", side, side, BindDuring.Step, BindDuring.Outcome, BindDuring.Error?.Number) { Details = details };
            if (BindAfter is { } after)
            {
                yield return new CaseRecord("C1", "bind-after-time-wait", "native", "tcp", "none", side, side, after.Step, after.Outcome, after.Error?.Number) { Details = (JsonObject)details.DeepClone() };
            }
        }
    }

    /// <summary>The entry from birth to disappearance, 0 = birth.</summary>
    public Figure Chart => TeardownCharts.Sockets("c1-time-wait-duration", Seconds is { } s ? $"C1 TIME_WAIT lasted {s:0.0} s here" : "C1 TIME_WAIT (quick mode: the wait was skipped)",
        Timeline, new (string, string, string?)[] { ("server end (closed first)", ServerKey, EventSides.Server) }, BornAtMs, "ms since TIME_WAIT was first seen");

    /// <summary>The measured duration and the two binds.</summary>
    public override string ToHtml() => Html.Table(new[] { "C1 TIME_WAIT duration", "" }, new[]
    {
        new[] { "measured", Seconds is { } s ? Html.E($"{s:0.00} s (± {PrecisionMs:0} ms)") : "skipped (quick mode)" },
        new[] { "bind without options while it lived", Html.Badge(BindDuring.Outcome) },
        new[] { "bind without options after it had gone", BindAfter is { } a ? Html.Badge(a.Outcome) : EnvironmentNote is null ? "—" : "not measured here (the port was held by another program)" },
    }) + (EnvironmentNote is { } note ? $"<p><small>{Html.E(note)}</small></p>" : "");

    /// <summary>"TIME_WAIT lasted 60.02 s".</summary>
    public override string ToString() => Seconds is { } s ? $"TIME_WAIT lasted {s:0.00} s (± {PrecisionMs:0} ms); bind during: {BindDuring.Outcome}, after: {BindAfter?.Outcome}" : $"TIME_WAIT born; wait skipped (quick); bind during: {BindDuring.Outcome}";
}

/// <summary>C3: TIME_WAIT entries on one server port over time.</summary>
/// <param name="Connections">How many connections the server closed first.</param>
/// <param name="Series">(seconds since the first connection, TIME_WAIT count) pairs.</param>
/// <param name="Drained">Whether the count went back to 0 before the end.</param>
public sealed record PileUpOutcome(int Connections, IReadOnlyList<(double Seconds, int Count)> Series, bool Drained) : HtmlResult
{
    /// <summary>The highest count seen.</summary>
    public int Peak => Series.Count == 0 ? 0 : Series.Max(p => p.Count);

    /// <summary>The count over time.</summary>
    public Figure Chart
    {
        get
        {
            var figure = new Figure("c3-time-wait-pileup", $"C3 TIME_WAIT entries on the server port: {Connections} server-closed connections");
            figure.Data.Add(Traces.Lines("TIME_WAIT entries", Series.Select(p => p.Seconds), Series.Select(p => (double)p.Count), TimelineChart.StateColors["TIME_WAIT"]));
            figure.Layout["xaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "seconds since the first connection" } };
            figure.Layout["yaxis"] = new JsonObject { ["title"] = new JsonObject { ["text"] = "TIME_WAIT entries" }, ["rangemode"] = "tozero" };
            return figure;
        }
    }

    /// <summary>Peak and drain.</summary>
    public override string ToHtml() => Html.Table(new[] { "C3 pile-up", "" }, new[]
    {
        new[] { "connections closed by the server", Html.E(Connections) },
        new[] { "peak TIME_WAIT count", Html.E(Peak) },
        new[] { "drained", Html.E(Drained ? $"yes, after {Series.Last().Seconds:0.0} s" : "not waited for (quick mode)") },
    });

    /// <summary>"200 connections → peak 200 TIME_WAIT; drained after 61.0 s".</summary>
    public override string ToString() => $"{Connections} connections → peak {Peak} TIME_WAIT; " + (Drained ? $"drained after {Series.Last().Seconds:0.0} s" : "drain not waited for");
}

/// <summary>B4: what a closed listener leaves behind.</summary>
/// <param name="Pending">Connections completed but never accepted when the listener closed.</param>
/// <param name="LeftBehind">The entries on the port after the close settled ("STATE local → remote").</param>
/// <param name="ClientReads">What each pending client's next read returned ("EOF" or an error name).</param>
/// <param name="Rebind">A native bind without options on the same port afterwards.</param>
/// <param name="Port">The port.</param>
public sealed record ListenerCloseOutcome(int Pending, IReadOnlyList<string> LeftBehind, IReadOnlyList<string> ClientReads, StepResult Rebind, int Port) : MeasuredResult
{
    /// <summary>The rebind as a results.json case.</summary>
    public override IEnumerable<CaseRecord> Cases => new[]
    {
        new CaseRecord("B4", Pending == 0 ? "listener-close-idle" : "listener-close-unaccepted", "native", "tcp",
            LeftBehind.Count == 0 ? "none" : string.Join(",", LeftBehind.Select(l => l.Split(' ')[0].ToLowerInvariant()).Distinct()),
            new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()),
            Rebind.Step, Rebind.Outcome, Rebind.Error?.Number)
        {
            Details = new JsonObject { ["port"] = Port, ["pending"] = Pending, ["left_behind"] = new JsonArray(LeftBehind.Select(l => (JsonNode)l).ToArray()), ["client_reads"] = new JsonArray(ClientReads.Select(l => (JsonNode)l).ToArray()) },
        },
    };

    /// <summary>What remained and the rebind.</summary>
    public override string ToHtml() => Html.Table(new[] { $"B4 close a listener with {Pending} unaccepted connection(s)", "" }, new[]
    {
        new[] { "left in the table on the port", LeftBehind.Count == 0 ? "nothing" : string.Join("<br>", LeftBehind.Select(l => $"<code>{Html.E(l)}</code>")) },
        new[] { "each pending client's next read", Html.E(ClientReads.Count == 0 ? "—" : string.Join(", ", ClientReads)) },
        new[] { "bind the port again (no options)", Html.Badge(Rebind.Outcome) },
    });

    /// <summary>One line.</summary>
    public override string ToString() => $"{Pending} pending: left {(LeftBehind.Count == 0 ? "nothing" : string.Join("; ", LeftBehind))}; clients read {string.Join(", ", ClientReads)}; rebind {Rebind.Outcome}";
}

/// <summary>C1, C3 and B4: TIME_WAIT's length, its pile-up, and what closing a listener leaves.</summary>
public static class TimeWaitExperiments
{
    /// <summary>C1: one server-closed connection; its TIME_WAIT entry is watched until it disappears (or, with quick, only until it is born).</summary>
    /// <remarks>Once the entry has gone, no socket of the experiment is on the port: a refused bind then is another program's doing
    /// (most often an outgoing connection that got the port as its ephemeral one during the minute). That is named, with the
    /// holder from the TCP table, and the experiment runs once more on a fresh port; it never becomes the bind's outcome.</remarks>
    public static async Task<TimeWaitDurationOutcome> MeasureDurationAsync(bool quick = false, IProgress<TimeSpan>? progress = null, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        var first = await MeasureDurationOnceAsync(quick, progress, address, cancellationToken).ConfigureAwait(false);
        if (ForeignHolder(first.BindAfter, PortDiagnosis.ReadHolders(first.Port)) is not { } held)
        {
            return first;
        }

        var note = $"port {first.Port} was {held} when it was bound again after its TIME_WAIT entry had gone";
        var second = await MeasureDurationOnceAsync(quick, progress, address, cancellationToken).ConfigureAwait(false);
        if (ForeignHolder(second.BindAfter, PortDiagnosis.ReadHolders(second.Port)) is { } heldAgain)
        {
            return second with { BindAfter = null, EnvironmentNote = $"{note}; on the fresh port {second.Port} too ({heldAgain}): not measured here" };
        }

        return second with { EnvironmentNote = $"{note}; ran again on the fresh port {second.Port}" };
    }

    /// <summary>
    /// "held by another program (pid 1234, nginx)" when a bind after the experiment's own sockets had all gone was refused with
    /// EADDRINUSE, from the port's rows in the TCP table; null when the bind was not refused that way.
    /// </summary>
    public static string? ForeignHolder(StepResult? bind, IReadOnlyList<PortHolder> holders)
    {
        if (bind is not { Ok: false } || bind.Error?.Name is not ("EADDRINUSE" or "WSAEADDRINUSE"))
        {
            return null;
        }

        var named = holders.Where(h => h.Pid is not null).Select(h => $"pid {h.Pid}, {h.ProcessName ?? "?"}").Distinct().ToList();
        return named.Count > 0 ? $"held by another program ({string.Join("; ", named)})"
            : holders.Count > 0 ? $"held by another program (its socket is {holders[0].State} {holders[0].Local} → {holders[0].Remote}; {holders[0].Owner})"
            : "held by another program (a socket the TCP table does not list, e.g. bound but not listening)";
    }

    private static async Task<TimeWaitDurationOutcome> MeasureDurationOnceAsync(bool quick, IProgress<TimeSpan>? progress, IPAddress? address, CancellationToken cancellationToken)
    {
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        await using var c = await LoopbackConnection.OpenAsync(address, sampleInterval: TimeSpan.FromMilliseconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
        c.CloseListener();
        c.CloseServer("server closes first");
        await c.WaitForAsync(_ => true, s => s == TcpState.CloseWait, "CLOSE_WAIT on the client end", cancellationToken).ConfigureAwait(false);
        c.CloseClient("client closes");
        var born = await c.WaitForAsync(s => s == TcpState.TimeWait, _ => true, "TIME_WAIT on the server end", cancellationToken).ConfigureAwait(false);
        var before = c.Timeline.Samples.LastOrDefault(s => s.AtMs < born.AtMs && c.ServerIn(s)?.State != TcpState.TimeWait)?.AtMs ?? born.AtMs;
        var during = c.TryRebind(address, SocketOptionSet.None, out _);
        if (quick)
        {
            return new TimeWaitDurationOutcome(c.Port, c.ServerKey, born.AtMs, null, born.AtMs - before, during, null, c.Timeline);
        }
        // Linux keeps TIME_WAIT 60 s, macOS 2 × MSL (30 s by default), Windows up to 240 s: give the slowest room.
        var deadline = TimeSpan.FromSeconds(300);
        var lastReport = TimeSpan.Zero;
        var gone = await c.Sampler.WaitForAsync(es =>
        {
            var waited = TimeSpan.FromMilliseconds(c.Timeline.NowMs - born.AtMs);
            if (waited - lastReport >= TimeSpan.FromSeconds(1))
            {
                lastReport = waited;
                progress?.Report(waited);
            }
            return !es.Any(c.IsServerEnd);
        }, deadline, "the TIME_WAIT entry to disappear", cancellationToken).ConfigureAwait(false);
        var lastSeen = c.Timeline.Samples.Last(s => s.AtMs < gone.AtMs && c.ServerIn(s) is not null).AtMs;
        var after = c.TryRebind(address, SocketOptionSet.None, out _);
        return new TimeWaitDurationOutcome(c.Port, c.ServerKey, born.AtMs, gone.AtMs, Math.Max(born.AtMs - before, gone.AtMs - lastSeen), during, after, c.Timeline);
    }

    /// <summary>C3: <paramref name="connections"/> short connections to one listener, each closed by the server first; counts TIME_WAIT until it drains (quick: until the pile-up peaks).</summary>
    public static async Task<PileUpOutcome> PileUpAsync(int connections = 200, bool quick = false, IProgress<int>? progress = null, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        if (connections is < 1 or > 2000)
        {
            throw new ArgumentOutOfRangeException(nameof(connections), connections, "Use 1 to 2000 connections: the pile-up stays bounded and far from the ephemeral range.");
        }
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        using var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(address, 0));
        listener.Listen(64);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var series = new List<(double, int)>();
        int Count() => TcpTable.Read(e => e.Local.Port == port && e.State == TcpState.TimeWait).Count;
        void Record() => series.Add((Math.Round(clock.Elapsed.TotalSeconds, 3), Count()));
        Record();
        for (var i = 0; i < connections; i++)
        {
            await LoopbackServer.ServerClosesFirstAsync(listener, cancellationToken).ConfigureAwait(false);
            if (i % 20 == 0)
            {
                Record();
            }
        }
        await Poll.UntilAsync(() => { Record(); return series[^1].Item2 >= connections; }, TimeSpan.FromSeconds(10), "every connection to reach TIME_WAIT", cancellationToken: cancellationToken).ConfigureAwait(false);
        progress?.Report(series[^1].Item2);
        if (quick)
        {
            return new PileUpOutcome(connections, series, false);
        }
        var next = clock.Elapsed;
        await Poll.UntilAsync(() =>
        {
            // One count every half second is plenty for a curve that changes over a minute.
            if (clock.Elapsed - next < TimeSpan.FromMilliseconds(500))
            {
                return false;
            }
            next = clock.Elapsed;
            Record();
            progress?.Report(series[^1].Item2);
            return series[^1].Item2 == 0;
        }, TimeSpan.FromSeconds(300), "the TIME_WAIT entries to drain", cancellationToken: cancellationToken).ConfigureAwait(false);
        return new PileUpOutcome(connections, series, true);
    }

    /// <summary>B4: a listener with <paramref name="pending"/> completed-but-unaccepted connections is closed; what stays, and can the port be bound again?</summary>
    public static async Task<ListenerCloseOutcome> CloseListenerAsync(int pending, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        if (pending is < 0 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(pending), pending, "Use 0 to 16 pending connections (the listener's backlog is 16).");
        }
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        var clients = new List<Socket>();
        NativeSocket? native = null;
        Socket? listener = null;
        try
        {
            native = NativeSocket.Create(address.AddressFamily);
            var bind = native.Bind(new IPEndPoint(address, 0));
            if (!bind.Ok || !native.Listen().Ok)
            {
                throw new NativeSocketException(bind);
            }
            listener = native.ToSocket();
            var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
            for (var i = 0; i < pending; i++)
            {
                var client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                clients.Add(client);
                await client.ConnectAsync(listener.LocalEndPoint!, cancellationToken).ConfigureAwait(false);
            }
            // The handshake finishes in the kernel: the server ends exist, ESTABLISHED, before anyone accepts them.
            await Poll.UntilAsync(() => TcpTable.Read(e => e.Local.Port == port && e.State == TcpState.Established).Count == pending,
                TimeSpan.FromSeconds(10), "the unaccepted connections to be ESTABLISHED", cancellationToken: cancellationToken).ConfigureAwait(false);
            listener.Dispose();
            listener = null;
            await Poll.UntilAsync(() => !TcpTable.Read(e => e.Local.Port == port && e.State is TcpState.Established or TcpState.Listen).Any(),
                TimeSpan.FromSeconds(10), "the listener and its unaccepted connections to close", cancellationToken: cancellationToken).ConfigureAwait(false);
            var left = TcpTable.Read(e => e.Local.Port == port || e.Remote.Port == port).Select(e => $"{e.StateName} {e.Local} → {e.Remote}").ToList();
            var reads = new List<string>();
            foreach (var client in clients)
            {
                try
                {
                    var n = await client.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken).ConfigureAwait(false);
                    reads.Add(n == 0 ? "EOF" : $"{n} bytes");
                }
                catch (SocketException e)
                {
                    reads.Add(Errno.FromCurrentOs(e.NativeErrorCode).Name);
                }
            }
            using var again = NativeSocket.Create(address.AddressFamily);
            var rebind = again.Bind(new IPEndPoint(address, port));
            return new ListenerCloseOutcome(pending, left, reads, rebind, port);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
            listener?.Dispose();
            native?.Dispose();
        }
    }
}
