using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Native;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Teardown;

/// <summary>A2/A3: after the server closes, can a new server bind its port — when the client closed first, or never closes?</summary>
public static class HalfClosedRestart
{
    /// <summary>A2 client-closes-first: the client quits, the server reads EOF, closes, and binds the same port again.</summary>
    public static Task<RestartOutcome> ClientClosesFirstAsync(SocketOptionSet options = SocketOptionSet.None, IPAddress? address = null, CancellationToken cancellationToken = default) =>
        RunAsync("A2", options, clientCloses: true, address, cancellationToken);

    /// <summary>A3 peer-never-closes: the server writes bytes the client never reads, closes, and binds the same port again while the client holds on.</summary>
    public static Task<RestartOutcome> PeerNeverClosesAsync(SocketOptionSet options = SocketOptionSet.None, IPAddress? address = null, CancellationToken cancellationToken = default) =>
        RunAsync("A3", options, clientCloses: false, address, cancellationToken);

    private static async Task<RestartOutcome> RunAsync(string scenario, SocketOptionSet options, bool clientCloses, IPAddress? address, CancellationToken cancellationToken)
    {
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        const int attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await RunOnceAsync(scenario, options, clientCloses, address, cancellationToken).ConfigureAwait(false);
            if (outcome is not null)
            {
                return outcome;
            }
            if (attempt == attempts)
            {
                throw new InvalidOperationException(
                    "Other programs kept taking the experiment's freed port (as the local port of their own connections). " +
                    "Close programs that open many loopback connections and run the cell again.");
            }
        }
    }

    /// <summary>One run, or null when an unrelated socket took the freed port: that conflict is the environment's, not the lesson's.</summary>
    private static async Task<RestartOutcome?> RunOnceAsync(string scenario, SocketOptionSet options, bool clientCloses, IPAddress address, CancellationToken cancellationToken)
    {
        await using var c = await LoopbackConnection.OpenAsync(address, options, cancellationToken: cancellationToken).ConfigureAwait(false);
        var unsent = 0;
        if (clientCloses)
        {
            c.CloseClient("client quits (close)");
            var read = await c.Server!.ReceiveAsync(new byte[16], SocketFlags.None, cancellationToken).ConfigureAwait(false);
            c.Timeline.MarkBy(EventSides.Server, EventKinds.Read, read == 0 ? "server reads EOF" : $"server read {read} bytes");
            c.CloseServer("server closes on EOF");
            c.CloseListener();
            await c.WaitForAsync(s => s is null, s => s is null or TcpState.TimeWait, "the server end to finish closing", cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var payload = new byte[1000];
            Array.Fill(payload, (byte)'x');
            await c.Server!.SendAsync(payload, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            c.Timeline.MarkBy(EventSides.Server, EventKinds.Send, "server sends 1000 bytes the client never reads");
            unsent = payload.Length;
            c.CloseServer("server closes");
            c.CloseListener();
            await c.WaitForAsync(s => s == TcpState.FinWait2, s => s == TcpState.CloseWait, "FIN_WAIT_2 on the server end, CLOSE_WAIT on the client end", cancellationToken).ConfigureAwait(false);
        }
        var before = c.Sampler.SampleNow();
        var rebind = c.TryRebind(address, options, out var readback);
        // The chart's 0 is the bind itself (its marker), not the moment before the socket was made and its options set.
        var bindAt = c.Timeline.Events.LastOrDefault(e => e.Kind == EventKinds.Bind)?.AtMs ?? c.Timeline.NowMs;
        var after = c.Sampler.SampleNow();
        // The freed port is in the ephemeral range, so another program's outgoing connection may have picked it.
        if (!rebind.Ok && RestartAfterKill.IsForeignConflict(after.Entries, c.Port, e => e.Local.Equals(c.ServerEnd) && e.Remote.Equals(c.ClientEnd)))
        {
            return null;
        }
        var outcome = new RestartOutcome(
            scenario, options, c.Port, c.ServerEnd.ToString(), c.ClientEnd.ToString(),
            c.ServerIn(before)?.State, c.ClientIn(before)?.State, c.ClientIn(before)?.ReceiveQueue, unsent,
            rebind, readback, bindAt, c.Timeline);
        return outcome;
    }
}

/// <summary>What a restart on the same port met after one of the A2/A3 closes.</summary>
/// <param name="Scenario">"A2" or "A3".</param>
/// <param name="Options">The options the old listener and the new socket both set.</param>
/// <param name="Port">The server's port (chosen by the OS).</param>
/// <param name="ServerEnd">The old connection's server end.</param>
/// <param name="ClientEnd">The old connection's client end.</param>
/// <param name="ServerStateAtBind">The server end's state just before the new bind (null = gone).</param>
/// <param name="ClientStateAtBind">The client end's state just before the new bind.</param>
/// <param name="ClientUnreadBytes">Bytes waiting unread in the client's receive queue, where the OS tells.</param>
/// <param name="BytesSent">Bytes the server wrote before closing.</param>
/// <param name="Bind">The new bind's outcome.</param>
/// <param name="Readback">Options read back on the new socket after a successful bind.</param>
/// <param name="BindAtMs">When the new bind was tried.</param>
/// <param name="Timeline">Samples and actions.</param>
public sealed record RestartOutcome(
    string Scenario, SocketOptionSet Options, int Port, string ServerEnd, string ClientEnd,
    TcpState? ServerStateAtBind, TcpState? ClientStateAtBind, int? ClientUnreadBytes, int BytesSent,
    StepResult Bind, IReadOnlyDictionary<string, int>? Readback, double BindAtMs, Timeline Timeline) : MeasuredResult
{
    /// <summary>"ok" or the errno name of the new bind.</summary>
    public string Outcome => Bind.Outcome;

    /// <summary>The case name in results.json.</summary>
    public string CaseName => (Scenario == "A2" ? "client-closes-first" : "peer-never-closes") + (Options == SocketOptionSet.None ? "-no-options" : "-so-reuseaddr");

    /// <summary>The results.json record: a native bind on the old server's port.</summary>
    public override IEnumerable<CaseRecord> Cases => new[]
    {
        new CaseRecord(Scenario, CaseName, "native", "tcp", ServerStateAtBind?.ToHolderName() ?? "none",
            new SocketSide(Address, "tcp", Options.ToNames()), new SocketSide(Address, "tcp", Options.ToNames()),
            Bind.Step, Bind.Outcome, Bind.Error?.Number)
        {
            Readback = Readback,
            Details = new JsonObject
            {
                ["port"] = Port,
                ["server_end_state"] = ServerStateAtBind?.ToCanonicalName(),
                ["client_end_state"] = ClientStateAtBind?.ToCanonicalName(),
                ["client_unread_bytes"] = ClientUnreadBytes,
                ["restart_in"] = "the same process",
                ["server_fin_wait_1_samples"] = ServerSpans("FIN_WAIT_1").Sum(x => x.Samples),
                ["server_fin_wait_2_after_close_ms"] = ServerSpans("FIN_WAIT_2").FirstOrDefault() is { } fw2 && ServerCloseAtMs is { } closed ? Math.Round(fw2.FromMs - closed, 1) : null,
            },
        },
    };

    /// <summary>When the server's close() was called (the first "server closes…" action), or null.</summary>
    public double? ServerCloseAtMs => Timeline.Events.FirstOrDefault(e => e.Kind == EventKinds.Close && e.Label.StartsWith("server closes", StringComparison.Ordinal))?.AtMs;

    // The server end's sampled stretches in one state: the first FIN_WAIT_2 sample bounds from above when its FIN was acknowledged.
    private IEnumerable<StateSpan> ServerSpans(string state) =>
        Timeline.Histories().FirstOrDefault(h => h.Key == $"{ServerEnd}>{ClientEnd}")?.Spans.Where(x => x.State == state) ?? Enumerable.Empty<StateSpan>();

    private string Address => ServerEnd[..ServerEnd.LastIndexOf(':')];

    /// <summary>Both ends over time, 0 = the new bind.</summary>
    public Figure Chart => TeardownCharts.Sockets($"{Scenario.ToLowerInvariant()}-{CaseName}", $"{Scenario} {CaseName}: bind again → {Outcome}", Timeline,
        new (string, string, string?)[] { ("server end", $"{ServerEnd}>{ClientEnd}", EventSides.Server), ("client end", $"{ClientEnd}>{ServerEnd}", EventSides.Client) }, BindAtMs, "ms since the new bind");

    /// <summary>A card with the states at the bind and its outcome.</summary>
    public override string ToHtml() => Html.Table(new[] { $"{Scenario} {CaseName}", "" }, new[]
    {
        new[] { "options (old listener and new socket)", Html.E(Options.ToLabel()) },
        new[] { "server end at the new bind", $"<b>{Html.E(ServerStateAtBind?.ToCanonicalName() ?? "gone")}</b>" },
        new[] { "client end at the new bind", $"<b>{Html.E(ClientStateAtBind?.ToCanonicalName() ?? "gone")}</b>" + (ClientUnreadBytes is { } q ? $", {q} unread bytes in its receive queue" : "") },
        new[] { $"bind 127.0.0.1:{Port} again", Html.Badge(Outcome, Bind.Error?.Description) + (Bind.Error is { } e ? $" errno {e.Number}" : "") },
        new[] { "options read back", Html.Readback(Readback) },
    });

    /// <summary>"A3 peer-never-closes-no-options: server end FIN_WAIT_2, client end CLOSE_WAIT → bind EADDRINUSE (98)".</summary>
    public override string ToString() =>
        $"{Scenario} {CaseName}: server end {ServerStateAtBind?.ToCanonicalName() ?? "gone"}, client end {ClientStateAtBind?.ToCanonicalName() ?? "gone"} → {Bind}";
}
