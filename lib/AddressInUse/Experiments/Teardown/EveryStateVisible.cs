using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Teardown;

/// <summary>Whether a teardown state was caught by a sample of the OS's table, and how.</summary>
/// <param name="State">The canonical state name.</param>
/// <param name="Seen">Whether at least one sample showed it.</param>
/// <param name="Samples">How many samples showed it, over every run.</param>
/// <param name="HeldMs">The longest stretch it was seen for, in ms (from first to last sample).</param>
/// <param name="Where">Which run showed it ("stuffed pipe", "LAST_ACK behind data", "simultaneous close").</param>
public sealed record StateCapture(string State, bool Seen, int Samples, double HeldMs, string Where);

/// <summary>One engineered run: the timeline, and the sockets worth charting.</summary>
/// <param name="Name">A slug ("stuffed-pipe").</param>
/// <param name="Title">What the run does.</param>
/// <param name="ServerKey">The server end's key.</param>
/// <param name="ClientKey">The client end's key.</param>
/// <param name="Timeline">Samples and actions.</param>
public sealed record EngineeredRun(string Name, string Title, string ServerKey, string ClientKey, Timeline Timeline)
{
    /// <summary>The scenario id its cases are filed under, which the chart's title starts with ("B2"; "B3" for the simultaneous close).</summary>
    public string Scenario { get; init; } = "B2";

    /// <summary>The run's two ends over time, 0 = the first action after the connection was up.</summary>
    public Figure Chart => TeardownCharts.Sockets($"b2-{Name}", $"{Scenario} {Title}", Timeline,
        new (string, string, string?)[] { ("server end", ServerKey, EventSides.Server), ("client end", ClientKey, EventSides.Client) },
        Timeline.Events.FirstOrDefault(e => e.Kind is not (EventKinds.Listen or EventKinds.Connect))?.AtMs ?? 0, "ms since the first action");
}

/// <summary>B3: close both ends at the same moment, retried until the close was truly simultaneous.</summary>
/// <param name="Attempts">How many connections were closed.</param>
/// <param name="CaughtAtAttempt">The attempt where both ends ended in TIME_WAIT (the mark of a simultaneous close), or null.</param>
/// <param name="ClosingSampled">Whether any sample showed CLOSING in these attempts.</param>
/// <param name="Run">The caught attempt's run (or the last one).</param>
public sealed record SimultaneousCloseOutcome(int Attempts, int? CaughtAtAttempt, bool ClosingSampled, EngineeredRun Run) : MeasuredResult
{
    /// <summary>In how many of the attempts both ends ended in TIME_WAIT: whether two FINs cross depends on scheduling, so the outcome is a rate.</summary>
    public int Caught { get; init; } = CaughtAtAttempt is null ? 0 : 1;

    /// <summary>The measured rate of simultaneous closes, caught / attempts.</summary>
    public double Rate => Attempts == 0 ? 0 : (double)Caught / Attempts;

    /// <summary>The states each end of <see cref="Run"/> was sampled in, in order ("server_states", "client_states").</summary>
    public IReadOnlyList<string> SampledStates(bool server) =>
        Run.Timeline.Histories().FirstOrDefault(h => h.Key == (server ? Run.ServerKey : Run.ClientKey))?.States ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>One B3 record: "ok" when both ends ended in TIME_WAIT, else "not_caught"; the sampled paths are in its details.</summary>
    public override IEnumerable<CaseRecord> Cases => new[]
    {
        new CaseRecord("B3", "simultaneous-close", "dotnet", "tcp", "none",
            new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()),
            "shutdown", CaughtAtAttempt is null ? "not_caught" : "ok", null)
        {
            Details = new JsonObject
            {
                ["attempts"] = Attempts,
                ["caught_at_attempt"] = CaughtAtAttempt,
                ["caught"] = Caught,
                ["rate"] = Math.Round(Rate, 3),
                ["probabilistic"] = true,
                ["closing_sampled"] = ClosingSampled,
                ["server_states"] = new JsonArray(SampledStates(true).Select(x => (JsonNode)x).ToArray()),
                ["client_states"] = new JsonArray(SampledStates(false).Select(x => (JsonNode)x).ToArray()),
            },
        },
    };

    /// <summary>The one sentence, not the kernel's property tree: that tree would draw the run's chart a second time.</summary>
    public override string ToHtml() => $"<p>B3 simultaneous close: {Html.E(ToString())}</p>";

    /// <summary>"caught in 3 of 50 attempts (6 %, a probabilistic outcome: it depends on how the two threads are scheduled), first at attempt 7 (both ends in TIME_WAIT); CLOSING not sampled".</summary>
    public override string ToString() =>
        $"caught in {Caught} of {Attempts} attempts ({Rate * 100:0.#} %, a probabilistic outcome: whether the two FINs cross depends on how the two threads are scheduled)"
        + (CaughtAtAttempt is { } n ? $", first at attempt {n} (both ends in TIME_WAIT)" : "")
        + (ClosingSampled ? "; CLOSING was sampled"
            : Caught == 0 ? "; no attempt crossed, so there was no CLOSING to sample"
            : "; CLOSING not sampled (it lasted less than one sample interval)");
}

/// <summary>B2 every-state-visible: which teardown states this OS let the sampler see, with the runs that held them.</summary>
/// <param name="Captures">One row per teardown state.</param>
/// <param name="Runs">The engineered runs.</param>
/// <param name="Simultaneous">The B3 attempts.</param>
public sealed record EveryStateOutcome(IReadOnlyList<StateCapture> Captures, IReadOnlyList<EngineeredRun> Runs, SimultaneousCloseOutcome Simultaneous) : MeasuredResult
{
    /// <summary>
    /// One B2 record per teardown state ("ok" when a sample showed it, else "not_seen"), and a B3 record "stuffed-pipe-crossed":
    /// the stuffed pipe's two FINs were both sent before either arrived, a crossed close slowed down; its details hold each end's sampled states.
    /// The simultaneous attempts' record is on <see cref="Simultaneous"/>.
    /// </summary>
    public override IEnumerable<CaseRecord> Cases => StateCases.Append(CrossedCase(Runs[0]));

    private static CaseRecord CrossedCase(EngineeredRun run)
    {
        var histories = run.Timeline.Histories();
        IReadOnlyList<string> StatesOf(string key) => histories.FirstOrDefault(h => h.Key == key)?.Spans.Select(x => x.State).ToList() ?? (IReadOnlyList<string>)Array.Empty<string>();
        var server = StatesOf(run.ServerKey);
        var client = StatesOf(run.ClientKey);
        return new CaseRecord("B3", "stuffed-pipe-crossed", "dotnet", "tcp", "none",
            new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()),
            "shutdown", server.LastOrDefault() == "TIME_WAIT" && client.LastOrDefault() == "TIME_WAIT" ? "ok" : "not_both_time_wait", null)
        {
            Details = new JsonObject
            {
                ["server_states"] = new JsonArray(server.Select(x => (JsonNode)x).ToArray()),
                ["client_states"] = new JsonArray(client.Select(x => (JsonNode)x).ToArray()),
            },
        };
    }

    private IEnumerable<CaseRecord> StateCases => Captures.Select(c =>
        new CaseRecord("B2", $"state-{c.State.ToLowerInvariant().Replace('_', '-')}", "dotnet", "tcp", "none",
            new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()),
            "sample", c.Seen ? "ok" : "not_seen", null)
        {
            Details = new JsonObject { ["state"] = c.State, ["samples"] = c.Samples, ["held_ms"] = Math.Round(c.HeldMs, 1), ["where"] = c.Where },
        });

    /// <summary>The states no sample showed.</summary>
    public IReadOnlyList<string> NotSeen => Captures.Where(c => !c.Seen).Select(c => c.State).ToList();

    /// <summary>The table: state, seen?, samples, longest stretch, where.</summary>
    public override string ToHtml() => Html.Table(new[] { "state", "seen here", "samples", "longest stretch sampled", "how" },
        Captures.Select(c => new[]
        {
            $"<code>{Html.E(c.State)}</code>", Html.Badge(c.Seen ? "ok" : "not seen", c.Seen ? "a sample showed it" : "no sample showed it"),
            // TIME_WAIT outlives the experiment: its stretch ends where sampling stopped, not where the state ended.
            Html.E(c.Samples), Html.E(!c.Seen ? "—" : c.State == "TIME_WAIT" ? $"{c.HeldMs:0.#} ms, then sampling stopped (TIME_WAIT goes on; chapter 03 times it)" : $"{c.HeldMs:0.#} ms"), Html.E(c.Where),
        })) + $"<p>B3 simultaneous close: {Html.E(Simultaneous)}</p>";

    /// <summary>"seen: …; not seen: …".</summary>
    public override string ToString() =>
        $"seen: {string.Join(", ", Captures.Where(c => c.Seen).Select(c => c.State))}; not seen: {(NotSeen.Count == 0 ? "none" : string.Join(", ", NotSeen))}";
}

/// <summary>B2/B3: hold each short-lived teardown state long enough for a sample to see it.</summary>
public static class EveryStateVisible
{
    /// <summary>The states the experiment looks for, in the order a close passes them: ESTABLISHED before it, then the six teardown states.</summary>
    public static IReadOnlyList<string> TeardownStates { get; } =
        new[] { "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" };

    // Small buffers: the pipe is full after a few kilobytes, so the FIN sits behind data that cannot move.
    private const int BufferBytes = 4096;

    /// <summary>Runs the stuffed-pipe run, the LAST_ACK run and up to <paramref name="maxSimultaneousAttempts"/> simultaneous closes.</summary>
    public static async Task<EveryStateOutcome> RunAsync(int maxSimultaneousAttempts = 50, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        if (maxSimultaneousAttempts is < 1 or > 500)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSimultaneousAttempts), maxSimultaneousAttempts, "Use 1 to 500 attempts: each leaves TIME_WAIT entries for a minute.");
        }
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        var stuffed = await StuffedPipeAsync(address, cancellationToken).ConfigureAwait(false);
        var lastAck = await LastAckAsync(address, cancellationToken).ConfigureAwait(false);
        var simultaneous = await SimultaneousCloseAsync(maxSimultaneousAttempts, address, cancellationToken).ConfigureAwait(false);
        var runs = new[] { stuffed, lastAck, simultaneous.Run };
        var captures = TeardownStates.Select(state =>
        {
            var spans = runs.SelectMany(r => r.Timeline.Histories()
                    .Where(h => h.Key == r.ServerKey || h.Key == r.ClientKey)
                    .SelectMany(h => h.Spans.Where(s => s.State == state).Select(s => (Run: r, Span: s))))
                .ToList();
            var longest = spans.OrderByDescending(s => s.Span.ToMs - s.Span.FromMs).FirstOrDefault();
            return new StateCapture(state, spans.Count > 0, spans.Sum(s => s.Span.Samples),
                spans.Count > 0 ? longest.Span.ToMs - longest.Span.FromMs : 0, spans.Count > 0 ? longest.Run.Title : "no sample showed it");
        }).ToList();
        return new EveryStateOutcome(captures, runs, simultaneous);
    }

    /// <summary>
    /// Both ends fill the pipe and then shut down their sending side: each FIN waits behind data the peer does not read
    /// (FIN_WAIT_1 on both). The server then reads everything and receives the client's FIN while its own is still stuck
    /// (CLOSING); finally the client reads, and both end in TIME_WAIT.
    /// </summary>
    public static async Task<EngineeredRun> StuffedPipeAsync(IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        await using var c = await LoopbackConnection.OpenAsync(address, bufferBytes: BufferBytes, sampleInterval: TimeSpan.FromMilliseconds(1), cancellationToken: cancellationToken).ConfigureAwait(false);
        var serverBytes = LoopbackConnection.FillUntilBlocked(c.Server!);
        c.Timeline.MarkBy(EventSides.Server, EventKinds.Send, $"server writes {serverBytes} bytes; the client does not read");
        var clientBytes = LoopbackConnection.FillUntilBlocked(c.Client!);
        c.Timeline.MarkBy(EventSides.Client, EventKinds.Send, $"client writes {clientBytes} bytes; the server does not read");
        c.Timeline.CallBy(EventSides.Server, EventKinds.Shutdown, "server shutdown(SHUT_WR): its FIN queues behind its data", () => c.Server!.Shutdown(SocketShutdown.Send));
        c.Timeline.CallBy(EventSides.Client, EventKinds.Shutdown, "client shutdown(SHUT_WR): its FIN queues too", () => c.Client!.Shutdown(SocketShutdown.Send));
        await c.WaitForAsync(s => s == TcpState.FinWait1, s => s == TcpState.FinWait1, "FIN_WAIT_1 on both ends", cancellationToken).ConfigureAwait(false);
        await HoldAsync(c, cancellationToken).ConfigureAwait(false);
        var drainServer = LoopbackConnection.DrainAsync(c.Server!, cancellationToken);
        c.Timeline.MarkBy(EventSides.Server, EventKinds.Read, "server reads everything");
        await drainServer.ConfigureAwait(false);
        await c.WaitForAsync(s => s is TcpState.Closing or TcpState.TimeWait, _ => true, "the server end to receive the client's FIN", cancellationToken).ConfigureAwait(false);
        await HoldAsync(c, cancellationToken).ConfigureAwait(false);
        c.Timeline.MarkBy(EventSides.Client, EventKinds.Read, "client reads everything");
        await LoopbackConnection.DrainAsync(c.Client!, cancellationToken).ConfigureAwait(false);
        await c.WaitForAsync(s => s is null or TcpState.TimeWait, s => s is null or TcpState.TimeWait, "both ends to finish", cancellationToken).ConfigureAwait(false);
        c.CloseServer();
        c.CloseClient();
        await c.DisposeAsync().ConfigureAwait(false);
        return new EngineeredRun("stuffed-pipe", "both FINs queued behind unread data", c.ServerKey, c.ClientKey, c.Timeline);
    }

    /// <summary>
    /// The client half-closes and stops reading; the server (now CLOSE_WAIT) fills the pipe and closes its side, so its FIN
    /// waits behind data (LAST_ACK) until the client reads.
    /// </summary>
    public static async Task<EngineeredRun> LastAckAsync(IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        await using var c = await LoopbackConnection.OpenAsync(address, bufferBytes: BufferBytes, sampleInterval: TimeSpan.FromMilliseconds(1), cancellationToken: cancellationToken).ConfigureAwait(false);
        c.Timeline.CallBy(EventSides.Client, EventKinds.Shutdown, "client shutdown(SHUT_WR), then stops reading", () => c.Client!.Shutdown(SocketShutdown.Send));
        await c.WaitForAsync(s => s == TcpState.CloseWait, s => s == TcpState.FinWait2, "CLOSE_WAIT / FIN_WAIT_2", cancellationToken).ConfigureAwait(false);
        var bytes = LoopbackConnection.FillUntilBlocked(c.Server!);
        c.Timeline.MarkBy(EventSides.Server, EventKinds.Send, $"server writes {bytes} bytes");
        c.Timeline.CallBy(EventSides.Server, EventKinds.Shutdown, "server shutdown(SHUT_WR): its FIN queues behind the data", () => c.Server!.Shutdown(SocketShutdown.Send));
        await c.WaitForAsync(s => s == TcpState.LastAck, _ => true, "LAST_ACK on the server end", cancellationToken).ConfigureAwait(false);
        await HoldAsync(c, cancellationToken).ConfigureAwait(false);
        c.Timeline.MarkBy(EventSides.Client, EventKinds.Read, "client reads everything");
        await LoopbackConnection.DrainAsync(c.Client!, cancellationToken).ConfigureAwait(false);
        await c.WaitForAsync(s => s is null, s => s is null or TcpState.TimeWait, "the server end to leave LAST_ACK", cancellationToken).ConfigureAwait(false);
        c.CloseServer();
        c.CloseClient();
        await c.DisposeAsync().ConfigureAwait(false);
        return new EngineeredRun("last-ack", "the passive closer's FIN queued behind unread data", c.ServerKey, c.ClientKey, c.Timeline);
    }

    /// <summary>B3: both ends close() at the same instant from two threads, <paramref name="maxAttempts"/> times; counts the attempts where both end in TIME_WAIT (a rate, not a certainty) and keeps the first such run.</summary>
    public static async Task<SimultaneousCloseOutcome> SimultaneousCloseAsync(int maxAttempts = 50, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        EngineeredRun? last = null;
        EngineeredRun? firstCaught = null;
        int? caughtAt = null;
        var caught = 0;
        var closingSampled = false;
        for (var attempt = 1; attempt <= maxAttempts; attempt++)
        {
            await using var c = await LoopbackConnection.OpenAsync(address, sampleInterval: TimeSpan.Zero, cancellationToken: cancellationToken).ConfigureAwait(false);
            var server = c.Server!;
            var client = c.Client!;
            using var start = new Barrier(2);
            // Both threads wait at the barrier, so the two FINs leave as close together as the scheduler allows.
            await c.Timeline.CallByAsync(EventSides.Both, EventKinds.Shutdown, "both ends shutdown(SHUT_WR) at once", () => Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); server.Shutdown(SocketShutdown.Send); }, cancellationToken),
                Task.Run(() => { start.SignalAndWait(); client.Shutdown(SocketShutdown.Send); }, cancellationToken))).ConfigureAwait(false);
            var settled = await c.WaitForAsync(s => s is null or TcpState.TimeWait, s => s is null or TcpState.TimeWait, "both ends to finish", cancellationToken).ConfigureAwait(false);
            c.CloseServer();
            c.CloseClient();
            await c.DisposeAsync().ConfigureAwait(false);
            last = new EngineeredRun("simultaneous-close", $"simultaneous close, attempt {attempt}", c.ServerKey, c.ClientKey, c.Timeline) { Scenario = "B3" };
            closingSampled |= c.Timeline.Samples.Any(s => s.Entries.Any(e => e.State == TcpState.Closing));
            if (c.ServerIn(settled)?.State == TcpState.TimeWait && c.ClientIn(settled)?.State == TcpState.TimeWait)
            {
                caught++;
                caughtAt ??= attempt;
                firstCaught ??= last;
            }
        }
        return new SimultaneousCloseOutcome(maxAttempts, caughtAt, closingSampled, firstCaught ?? last!) { Caught = caught };
    }

    // A few extra samples while a state is held, so the chart shows it as a stretch rather than a sliver.
    private static Task HoldAsync(LoopbackConnection c, CancellationToken cancellationToken)
    {
        var target = c.Sampler.SampleCount + 20;
        return Poll.UntilAsync(() => c.Sampler.SampleCount >= target, TimeSpan.FromSeconds(5), "20 more samples", cancellationToken: cancellationToken);
    }
}
