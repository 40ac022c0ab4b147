using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Observation;
using AddressInUse.Display;
using AddressInUse.Cases;

namespace AddressInUse.Experiments;

/// <summary>One way of running the server that gets killed and restarted: which bind path, which options.</summary>
/// <param name="Name">The case name in results.json, e.g. "restart-no-options".</param>
/// <param name="Api">The bind path both server instances use.</param>
/// <param name="Options">The options both server instances set before bind (the same program, restarted).</param>
/// <param name="Label">What a reader sees: "native bind, no options".</param>
/// <param name="ShortLabel">A chart row label: "no options".</param>
public sealed record RestartCase(string Name, BindApi Api, SocketOptionSet Options, string Label, string ShortLabel)
{
    /// <summary>The seeds' C server: the OS's bind() with no option at all.</summary>
    public static RestartCase NoOptions { get; } = new("restart-no-options", BindApi.Native, SocketOptionSet.None, "native bind, no options", "no options");

    /// <summary>The same server with SO_REUSEADDR set before bind.</summary>
    public static RestartCase ReuseAddress { get; } = new("restart-so-reuseaddr", BindApi.Native, SocketOptionSet.ReuseAddress, "native bind, SO_REUSEADDR", "SO_REUSEADDR");

    /// <summary>A naive C# port of the server: plain .NET Socket.Bind, no option set by the program.</summary>
    public static RestartCase DotnetBind { get; } = new("restart-dotnet-bind", BindApi.Dotnet, SocketOptionSet.None, ".NET Socket.Bind, no options set", ".NET Bind");

    /// <summary>The three cases chapter 01 compares, in teaching order.</summary>
    public static IReadOnlyList<RestartCase> All { get; } = new[] { NoOptions, ReuseAddress, DotnetBind };
}

/// <summary>
/// A1 restart-after-kill: a server with a connected client dies abruptly and is started again at once on the same port.
/// Does the OS let the new server bind while the old connection is still closing?
/// </summary>
public static class RestartAfterKill
{
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs one case on a fresh port chosen by the OS (or the given one) and returns what happened.</summary>
    /// <param name="restartCase">How both server instances bind.</param>
    /// <param name="port">0 to let the OS choose (recommended), or a port from 1 to 65535.</param>
    /// <param name="address">A loopback address; 127.0.0.1 by default.</param>
    /// <param name="time">The clock for the timeline (the system clock by default).</param>
    /// <param name="cancellationToken">Cancels the experiment; every socket and process is still cleaned up.</param>
    public static async Task<RestartAfterKillOutcome> RunAsync(
        RestartCase restartCase, int port = 0, IPAddress? address = null, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(restartCase);
        Guards.Port(port);
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        OsInfo.EnsureSupported();
        var notes = new List<string>();
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await RunOnceAsync(restartCase, port, address, time, notes, cancellationToken).ConfigureAwait(false);
            if (outcome is not null)
            {
                return outcome;
            }
            if (attempt == attempts)
            {
                throw new InvalidOperationException(
                    $"Another program kept interfering with the experiment's ports ({string.Join("; ", notes)}). " +
                    "Close programs that bind many loopback ports and run the cell again.");
            }
            // The conflict came from outside the lesson: never report it, just use a port the OS picks.
            port = 0;
        }
    }

    /// <summary>Runs all three cases of chapter 01 one after another, each on its own fresh port.</summary>
    public static async Task<RestartComparison> CompareAsync(int port = 0, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        var outcomes = new List<RestartAfterKillOutcome>();
        foreach (var restartCase in RestartCase.All)
        {
            // A user-chosen port can only serve the first case: the killed server's connection still holds it afterwards.
            outcomes.Add(await RunAsync(restartCase, outcomes.Count == 0 ? port : 0, address, null, cancellationToken).ConfigureAwait(false));
        }
        return new RestartComparison(outcomes);
    }

    private static async Task<RestartAfterKillOutcome?> RunOnceAsync(
        RestartCase restartCase, int port, IPAddress address, TimeProvider? time, List<string> notes, CancellationToken cancellationToken)
    {
        var timeline = new Timeline(time);
        var spec = new ServerSpec(address, port, restartCase.Api, restartCase.Options);
        ServerProcess? server = null;
        ServerProcess? restarted = null;
        TcpSampler? sampler = null;
        Socket? client = null;
        try
        {
            server = await ServerProcess.StartAsync(spec, StepTimeout, cancellationToken).ConfigureAwait(false);
            if (!server.Start.Listening)
            {
                // The first server could not even start: the port is someone else's, not the lesson's.
                notes.Add($"port {port} was already in use by another program ({server.Start.Result.Error}); the OS picked another port");
                return null;
            }
            var serverPort = server.Start.Port;
            var serverEndPoint = new IPEndPoint(address, serverPort);
            timeline.Mark("listen", $"server listens on :{serverPort} ({restartCase.Label})", "ok");
            sampler = TcpSampler.ForPorts(timeline, new[] { serverPort });

            client = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(serverEndPoint, cancellationToken).ConfigureAwait(false);
            var clientEndPoint = (IPEndPoint)client.LocalEndPoint!;
            timeline.Mark("connect", $"client connects from :{clientEndPoint.Port}", "ok");
            await client.SendAsync("hello from the client\n"u8.ToArray(), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            await server.WaitForAcceptAsync(StepTimeout, cancellationToken).ConfigureAwait(false);
            // A socket closed with unread bytes sends RST, not FIN: wait until the server has read the greeting.
            await server.WaitForReceivedAsync(StepTimeout, cancellationToken).ConfigureAwait(false);

            bool IsServerEnd(TcpEntry e) => e.Local.Equals(serverEndPoint) && e.Remote.Equals(clientEndPoint);
            bool IsClientEnd(TcpEntry e) => e.Local.Equals(clientEndPoint) && e.Remote.Equals(serverEndPoint);
            await sampler.WaitForAsync(
                entries => entries.Any(e => IsServerEnd(e) && e.State == TcpState.Established) && entries.Any(e => IsClientEnd(e) && e.State == TcpState.Established),
                StepTimeout, "both ends of the connection to be ESTABLISHED", cancellationToken).ConfigureAwait(false);

            var kill = timeline.Mark("kill", "server process killed (SIGKILL)");
            await server.KillAsync(cancellationToken).ConfigureAwait(false);
            // The kernel closes the dead process's sockets: the server end sends FIN, the client end answers ACK.
            var atRestart = await sampler.WaitForAsync(
                // FIN_WAIT_1 lasts until the client's ACK arrives (microseconds on loopback): wait for it to pass,
                // so every run restarts against the same settled state.
                entries => !entries.Any(e => IsServerEnd(e) && e.State is TcpState.Established or TcpState.FinWait1)
                           && entries.Any(e => IsClientEnd(e) && e.State == TcpState.CloseWait),
                StepTimeout, "the kernel to close the killed server's end", cancellationToken).ConfigureAwait(false);

            var restartSpec = spec with { Port = serverPort };
            var restartAt = timeline.NowMs;
            restarted = await ServerProcess.StartAsync(restartSpec, StepTimeout, cancellationToken).ConfigureAwait(false);
            var restart = restarted.Start;
            var afterRestart = sampler.SampleNow();
            if (!restart.Listening && IsForeignConflict(afterRestart.Entries, serverPort, IsServerEnd))
            {
                notes.Add($"port {serverPort} was taken by another program between the kill and the restart; the experiment ran again on a new port");
                return null;
            }
            timeline.Mark("restart", $"restart on :{serverPort}: {(restart.Listening ? "listening" : restart.Result.Error!.ToString())}", restart.Result.Outcome);
            if (restarted is not null && !restarted.HasExited)
            {
                await restarted.KillAsync(cancellationToken).ConfigureAwait(false);
                if (restart.Listening)
                {
                    timeline.Mark("stop", "restarted server stopped");
                }
            }

            // Let the client finish the close too, so the chart shows where TIME_WAIT lands.
            client.Dispose();
            client = null;
            timeline.Mark("close", "client closes its end");
            await sampler.WaitForAsync(
                entries => !entries.Any(e => IsClientEnd(e) && e.State is not (TcpState.TimeWait or TcpState.Closed))
                           && entries.Any(e => IsServerEnd(e) && e.State == TcpState.TimeWait),
                TimeSpan.FromSeconds(5), "the server end to reach TIME_WAIT", cancellationToken).ConfigureAwait(false);

            await sampler.DisposeAsync().ConfigureAwait(false);
            sampler = null;
            // The chart ends here, long before TIME_WAIT does: say so on the row instead of letting a sliver suggest it is short.
            timeline.Mark("sampling-stopped", "sampling stopped — TIME_WAIT goes on for 60 s on Linux");
            var serverState = atRestart.Entries.FirstOrDefault(IsServerEnd)?.State;
            var clientState = atRestart.Entries.FirstOrDefault(IsClientEnd)?.State;
            return new RestartAfterKillOutcome(
                restartCase,
                address.ToString(),
                serverPort,
                serverEndPoint.ToString(),
                clientEndPoint.ToString(),
                serverState,
                clientState,
                server.Start,
                restart,
                kill.AtMs,
                restartAt,
                timeline,
                notes.ToList());
        }
        finally
        {
            client?.Dispose();
            if (sampler is not null)
            {
                await sampler.DisposeAsync().ConfigureAwait(false);
            }
            if (restarted is not null)
            {
                await restarted.DisposeAsync().ConfigureAwait(false);
            }
            if (server is not null)
            {
                await server.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Whether something other than the lesson's own old connection holds the port (a listener or another connection).</summary>
    internal static bool IsForeignConflict(IReadOnlyList<TcpEntry> entries, int port, Func<TcpEntry, bool> isOurServerEnd) =>
        entries.Any(e => e.Local.Port == port && !isOurServerEnd(e));
}

/// <summary>What happened in one A1 run: the old connection's state at the restart and the restart's outcome.</summary>
/// <param name="Case">How both server instances bound.</param>
/// <param name="Address">The loopback address used.</param>
/// <param name="Port">The server's port (chosen by the OS unless given).</param>
/// <param name="ServerEnd">The old connection's server end ("127.0.0.1:port").</param>
/// <param name="ClientEnd">The old connection's client end.</param>
/// <param name="ServerEndStateAtRestart">The server end's TCP state just before the restart.</param>
/// <param name="ClientEndStateAtRestart">The client end's TCP state just before the restart.</param>
/// <param name="FirstStart">How the first server started (always listening).</param>
/// <param name="Restart">How the restarted server's bind and listen went, with the options read back.</param>
/// <param name="KillAtMs">When the server was killed, on the timeline's clock.</param>
/// <param name="RestartAtMs">When the restart began, on the timeline's clock.</param>
/// <param name="Timeline">Every sample of the TCP table and every action, on one clock.</param>
/// <param name="Notes">Anything that went differently from plan (e.g. a port taken by another program).</param>
public sealed record RestartAfterKillOutcome(
    RestartCase Case,
    string Address,
    int Port,
    string ServerEnd,
    string ClientEnd,
    TcpState? ServerEndStateAtRestart,
    TcpState? ClientEndStateAtRestart,
    ServerStart FirstStart,
    ServerStart Restart,
    double KillAtMs,
    double RestartAtMs,
    Timeline Timeline,
    IReadOnlyList<string> Notes) : MeasuredResult
{
    /// <summary>"ok" or the errno name of the restart.</summary>
    public string Outcome => Restart.Result.Outcome;

    /// <summary>The results.json record of this run.</summary>
    public CaseRecord ToCase()
    {
        var options = Case.Options.ToNames();
        var details = new JsonObject
        {
            ["port"] = Port,
            ["server_end_state"] = ServerEndStateAtRestart?.ToCanonicalName(),
            ["client_end_state"] = ClientEndStateAtRestart?.ToCanonicalName(),
            ["restart_after_kill_ms"] = Math.Round(RestartAtMs - KillAtMs, 1),
            ["restart_in"] = "a new process",
        };
        return new CaseRecord(
            "A1",
            Case.Name,
            Case.Api == BindApi.Native ? "native" : "dotnet",
            "tcp",
            ServerEndStateAtRestart?.ToHolderName() ?? "none",
            new SocketSide(Address, "tcp", options),
            new SocketSide(Address, "tcp", options),
            Restart.Result.Step,
            Restart.Result.Outcome,
            Restart.Result.Error?.Number)
        {
            Readback = Restart.Readback,
            Details = details,
        };
    }

    /// <summary>The old connection's two ends over time, with the kill and the restart marked (0 = the kill).</summary>
    public Figure Chart => RestartCharts.Timeline(new[] { this }, $"a1-{Case.Name}");

    /// <summary>This run's one case, for results.json.</summary>
    public override IEnumerable<CaseRecord> Cases => [ToCase()];

    /// <summary>The card shown for one A1 run.</summary>
    public override string ToHtml()
    {
        var o = this;
        var restart = o.Restart.Listening
            ? Html.Badge("ok", "the restarted server is listening")
            : Html.Badge(o.Restart.Result.Error!.Name, o.Restart.Result.Error.Description) + $" errno {o.Restart.Result.Error.Number} at {Html.E(o.Restart.Result.Step)}()";
        var rows = new[]
        {
            new[] { "server", Html.E(o.Case.Label) },
            new[] { "port", Html.E(o.Port) },
            new[] { "old connection at restart", $"server end {Html.E(o.ServerEnd)}: <b>{Html.E(o.ServerEndStateAtRestart?.ToString() is null ? "gone" : TcpStateNames.ToCanonicalName(o.ServerEndStateAtRestart.Value))}</b>, client end {Html.E(o.ClientEnd)}: <b>{Html.E(o.ClientEndStateAtRestart is null ? "gone" : TcpStateNames.ToCanonicalName(o.ClientEndStateAtRestart.Value))}</b>" },
            new[] { "restart (a new process, same port)", restart },
            new[] { "options read back (getsockopt)", Html.Readback(o.Restart.Readback) },
            new[] { "restart began after the kill", $"{o.RestartAtMs - o.KillAtMs:0} ms" },
        };
        var notes = o.Notes.Count == 0 ? "" : $"<p><i>Note: {Html.E(string.Join("; ", o.Notes))}</i></p>";
        return $"<div class=\"course-outcome\">{Html.Table(new[] { "A1 restart after kill", "" }, rows)}{notes}</div>";
    }

    /// <summary>One line: "native bind, no options: restart → EADDRINUSE (98) while the old server end was FIN_WAIT_2".</summary>
    public override string ToString() =>
        $"{Case.Label}: restart → {(Restart.Listening ? "ok" : Restart.Result.Error!.ToString())} " +
        $"while the old server end was {ServerEndStateAtRestart?.ToCanonicalName() ?? "gone"}";
}

/// <summary>The three A1 runs of chapter 01 side by side.</summary>
/// <param name="Outcomes">One outcome per case, in teaching order.</param>
public sealed record RestartComparison(IReadOnlyList<RestartAfterKillOutcome> Outcomes) : HtmlResult, IHasCases
{
    /// <summary>Each run's case, in teaching order (a verdict judges them; the runner records them from each outcome's own display).</summary>
    public IEnumerable<CaseRecord> Cases => Outcomes.Select(o => o.ToCase());

    /// <summary>The table of chapter 01's three restart attempts.</summary>
    public override string ToHtml() => Html.Table(
        new[] { "server", "API", "options set", "read back after restart", "old server end", "restart", "errno" },
        Outcomes.Select(o => new[]
        {
            Html.E(o.Case.Label),
            Html.E(o.Case.Api == BindApi.Native ? "native bind()" : ".NET Socket.Bind"),
            Html.E(o.Case.Options == SocketOptionSet.None ? "none" : string.Join(", ", SocketOptionNames.ToNames(o.Case.Options))),
            Html.Readback(o.Restart.Readback),
            Html.E(o.ServerEndStateAtRestart is null ? "gone" : TcpStateNames.ToCanonicalName(o.ServerEndStateAtRestart.Value)),
            Html.Badge(o.Outcome),
            Html.E(o.Restart.Result.Error?.Number.ToString() ?? "—"),
        }));

    /// <summary>All runs' connections on one time axis (0 = each run's kill), restarts coloured by outcome.</summary>
    public Figure Chart => RestartCharts.Timeline(Outcomes, "restart-timeline");

    /// <summary>The comparison as plain text, one case a line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Outcomes.Select(o => o.ToString()));
}

/// <summary>Charts of A1 runs.</summary>
public static class RestartCharts
{
    /// <summary>For each run, a row for the server end and one for the client end, aligned on each run's kill.</summary>
    public static Figure Timeline(IReadOnlyList<RestartAfterKillOutcome> outcomes, string name)
    {
        var lanes = new List<TimelineLane>();
        var markers = new List<TimelineMarker>();
        foreach (var o in outcomes)
        {
            var serverLane = $"{o.Case.ShortLabel} · server end :{o.Port}";
            var clientLane = $"{o.Case.ShortLabel} · client end";
            lanes.AddRange(TimelineLane.OfConnection(o.Timeline, o.ServerEnd, o.ClientEnd, serverLane, clientLane, o.KillAtMs));
            foreach (var e in o.Timeline.Events.Where(e => e.Kind is "kill" or "restart" or "close" or "sampling-stopped"))
            {
                markers.Add(new TimelineMarker(e.Kind == "close" ? clientLane : serverLane, e, o.KillAtMs));
            }
        }
        var title = outcomes.Count == 1
            ? $"A1 restart after kill — {outcomes[0].Case.Label}: restart {outcomes[0].Outcome}"
            : "A1 restart after kill: the old connection's two ends, and each restart";
        return TimelineChart.Build(name, title, lanes, markers);
    }
}
