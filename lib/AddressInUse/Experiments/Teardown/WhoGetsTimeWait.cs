using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json.Nodes;
using AddressInUse.Charts;
using AddressInUse.Display;
using AddressInUse.Observation;
using AddressInUse.Cases;

namespace AddressInUse.Experiments.Teardown;

/// <summary>Which end of a connection calls close() first.</summary>
public enum CloseOrder
{
    /// <summary>The server closes, then the client.</summary>
    ServerClosesFirst,

    /// <summary>The client closes, then the server.</summary>
    ClientClosesFirst,
}

/// <summary>One close of one connection: both ends sampled on one clock until nothing but TIME_WAIT is left.</summary>
/// <param name="Order">Who closed first.</param>
/// <param name="ServerEnd">The server end ("127.0.0.1:port").</param>
/// <param name="ClientEnd">The client end.</param>
/// <param name="ServerFinal">The server end's state once the close settled (null = gone from the table).</param>
/// <param name="ClientFinal">The client end's state once the close settled.</param>
/// <param name="FirstCloseAtMs">When the first close() was called.</param>
/// <param name="Timeline">The samples and actions.</param>
public sealed record CloseRun(CloseOrder Order, string ServerEnd, string ClientEnd, TcpState? ServerFinal, TcpState? ClientFinal, double FirstCloseAtMs, Timeline Timeline)
{
    /// <summary>"server", "client", "both" or "neither": which end holds TIME_WAIT at the end.</summary>
    public string TimeWaitOn => (ServerFinal == TcpState.TimeWait, ClientFinal == TcpState.TimeWait) switch
    {
        (true, true) => "both",
        (true, false) => "server",
        (false, true) => "client",
        _ => "neither",
    };

    /// <summary>The states each end passed through, sampled or inferred ("(FIN_WAIT_1)" = fell between two samples).</summary>
    public string PathOf(bool server)
    {
        var key = server ? $"{ServerEnd}>{ClientEnd}" : $"{ClientEnd}>{ServerEnd}";
        var path = new List<string> { "ESTABLISHED" };
        foreach (var t in Timeline.Transitions().Where(t => t.Key == key))
        {
            path.AddRange(t.Unseen.Select(u => $"({u})"));
            path.Add(t.To);
        }
        return string.Join(" → ", path);
    }

    /// <summary>
    /// Whether the table was read through the whole close: before the first close(), while the passive end was in CLOSE_WAIT,
    /// and after the second close(); how often it was read depends on the machine's load, which the gaps report.
    /// </summary>
    public bool SampledThroughout
    {
        get
        {
            var samples = Timeline.Samples;
            var passive = Order == CloseOrder.ServerClosesFirst ? $"{ClientEnd}>{ServerEnd}" : $"{ServerEnd}>{ClientEnd}";
            var secondClose = Timeline.Events.LastOrDefault(e => e.Kind == EventKinds.Close)?.AtMs ?? double.MaxValue;
            return samples.Any(s => s.AtMs <= FirstCloseAtMs)
                && samples.Any(s => s.AtMs > FirstCloseAtMs && s.Entries.Any(e => e.Key == passive && e.State == TcpState.CloseWait))
                && samples.Any(s => s.AtMs > secondClose);
        }
    }

    /// <summary>The time between each two consecutive reads of the TCP table, in ms.</summary>
    public IEnumerable<double> SampleGapsMs => Timeline.Samples.Zip(Timeline.Samples.Skip(1), (a, b) => b.AtMs - a.AtMs);
}

/// <summary>B1/B5: a connection closed in one order, repeated; who ends in TIME_WAIT each time.</summary>
/// <param name="Order">Who closed first.</param>
/// <param name="Runs">Every run.</param>
public sealed record CloseOrderOutcome(CloseOrder Order, IReadOnlyList<CloseRun> Runs) : MeasuredResult
{
    /// <summary>The case name in results.json: "server-closes-first" or "client-closes-first".</summary>
    public string CaseName => Order == CloseOrder.ServerClosesFirst ? "server-closes-first" : "client-closes-first";

    /// <summary>One B5 record: the counts per end over every run (outcome "ok"; the counts are in its details).</summary>
    public override IEnumerable<CaseRecord> Cases => new[]
    {
        new CaseRecord("B5", CaseName, "dotnet", "tcp", "none",
            new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()), new SocketSide("127.0.0.1", "tcp", Array.Empty<string>()),
            "close", "ok", null)
        {
            Details = new JsonObject
            {
                ["first_closer"] = Order == CloseOrder.ServerClosesFirst ? "server" : "client",
                ["runs"] = Runs.Count,
                ["time_wait_on_server"] = Count("server"),
                ["time_wait_on_client"] = Count("client"),
                // A verdict line shows the first eight plain values: the sampling figures come before the rarer counts.
                ["runs_sampled_throughout"] = Runs.Count(r => r.SampledThroughout),
                ["median_sample_gap_ms"] = MedianSampleGapMs is { } gap ? Math.Round(gap, 2) : null,
                ["widest_sample_gap_ms"] = WidestSampleGapMs is { } widest ? Math.Round(widest, 2) : null,
                ["time_wait_on_both"] = Count("both"),
                ["time_wait_on_neither"] = Count("neither"),
                ["samples"] = Runs.Sum(r => r.Timeline.Samples.Count),
            },
        },
    };

    /// <summary>The median time between two consecutive reads of the TCP table over every run, in ms (null with fewer than two samples).</summary>
    public double? MedianSampleGapMs
    {
        get
        {
            var gaps = Runs.SelectMany(r => r.SampleGapsMs).Order().ToList();
            return gaps.Count == 0 ? null : gaps.Count % 2 == 1 ? gaps[gaps.Count / 2] : (gaps[gaps.Count / 2 - 1] + gaps[gaps.Count / 2]) / 2;
        }
    }

    /// <summary>The longest time between two consecutive reads of the TCP table over every run, in ms (null with fewer than two samples): the longest a state could have lasted unseen.</summary>
    public double? WidestSampleGapMs => Runs.SelectMany(r => r.SampleGapsMs).Select(g => (double?)g).Max();

    /// <summary>How many runs ended with TIME_WAIT on the given end ("server", "client", "both", "neither").</summary>
    public int Count(string end) => Runs.Count(r => r.TimeWaitOn == end);

    /// <summary>A label: "server closes first".</summary>
    public string Label => Order == CloseOrder.ServerClosesFirst ? "server closes first" : "client closes first";

    /// <summary>The first run's two ends on one axis, 0 = the first close().</summary>
    public Figure Chart => TeardownCharts.BothEnds($"b1-{(Order == CloseOrder.ServerClosesFirst ? "server" : "client")}-closes-first",
        $"B5 four-way close, {Label}", new[] { (Label, Runs[0]) });

    /// <summary>A table: the counts, and each end's path in the first run.</summary>
    public override string ToHtml() => Html.Table(new[] { $"B5 {Label}", "" }, new[]
    {
        new[] { "runs", Html.E(Runs.Count) },
        new[] { "TIME_WAIT on the server end", Html.E(Count("server")) },
        new[] { "TIME_WAIT on the client end", Html.E(Count("client")) },
        new[] { "TIME_WAIT on both / neither", Html.E($"{Count("both")} / {Count("neither")}") },
        new[] { "server end, run 1", $"<code>{Html.E(Runs[0].PathOf(true))}</code>" },
        new[] { "client end, run 1", $"<code>{Html.E(Runs[0].PathOf(false))}</code>" },
    }) + "<p><small>States in parentheses fell between two samples: the table never showed them, the path between the sampled states implies them.</small></p>";

    /// <summary>"server closes first: TIME_WAIT on the server 10/10, on the client 0/10".</summary>
    public override string ToString() =>
        $"{Label}: TIME_WAIT on the server {Count("server")}/{Runs.Count}, on the client {Count("client")}/{Runs.Count}";
}

/// <summary>Both close orders side by side.</summary>
/// <param name="Outcomes">Server closes first, then client closes first.</param>
public sealed record CloseOrderComparison(IReadOnlyList<CloseOrderOutcome> Outcomes) : MeasuredResult
{
    /// <summary>Both orders' B5 records.</summary>
    public override IEnumerable<CaseRecord> Cases => Outcomes.SelectMany(o => o.Cases);

    /// <summary>Both orders' first runs on one axis (four rows), 0 = each run's first close().</summary>
    public Figure Chart => TeardownCharts.BothEnds("b1-both-orders", "B5 who closes first, who waits: both ends of one connection, each order",
        Outcomes.Select(o => (o.Label, o.Runs[0])).ToList());

    /// <summary>The counts of both orders in one table.</summary>
    public override string ToHtml() => Html.Table(new[] { "who closes first", "runs", "TIME_WAIT on server", "TIME_WAIT on client", "both", "neither", "gap between samples, median / widest (ms)" },
        Outcomes.Select(o => new[] { Html.E(o.Label), Html.E(o.Runs.Count), Html.E(o.Count("server")), Html.E(o.Count("client")), Html.E(o.Count("both")), Html.E(o.Count("neither")),
            Html.E($"{Ms(o.MedianSampleGapMs)} / {Ms(o.WidestSampleGapMs)}") }));

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : "–";

    /// <summary>One line per order.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Outcomes);
}

/// <summary>B1 four-way close and B5 who-gets-time-wait: close a connection in a given order and see which end waits.</summary>
public static class WhoGetsTimeWait
{
    /// <summary>Closes a fresh loopback connection in the given order, <paramref name="rounds"/> times, each on a port the OS picks.</summary>
    public static async Task<CloseOrderOutcome> RunAsync(CloseOrder order, int rounds = 10, IPAddress? address = null, CancellationToken cancellationToken = default)
    {
        if (rounds is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(rounds), rounds, "Use 1 to 1000 rounds: each leaves a TIME_WAIT entry for a minute.");
        }
        address = Guards.Loopback(address ?? IPAddress.Loopback);
        var runs = new List<CloseRun>();
        for (var i = 0; i < rounds; i++)
        {
            runs.Add(await RunOnceAsync(order, address, cancellationToken).ConfigureAwait(false));
        }
        return new CloseOrderOutcome(order, runs);
    }

    /// <summary>Runs both orders with the same number of rounds.</summary>
    public static async Task<CloseOrderComparison> CompareAsync(int rounds = 10, IPAddress? address = null, CancellationToken cancellationToken = default) =>
        new(new[]
        {
            await RunAsync(CloseOrder.ServerClosesFirst, rounds, address, cancellationToken).ConfigureAwait(false),
            await RunAsync(CloseOrder.ClientClosesFirst, rounds, address, cancellationToken).ConfigureAwait(false),
        });

    private static async Task<CloseRun> RunOnceAsync(CloseOrder order, IPAddress address, CancellationToken cancellationToken)
    {
        await using var c = await LoopbackConnection.OpenAsync(address, cancellationToken: cancellationToken).ConfigureAwait(false);
        c.CloseListener();
        var serverFirst = order == CloseOrder.ServerClosesFirst;
        if (serverFirst)
        {
            c.CloseServer("server closes first");
        }
        else
        {
            c.CloseClient("client closes first");
        }
        var firstClose = c.Timeline.Events[^1].AtMs;
        // Wait until the other end has been told (CLOSE_WAIT), so the chart shows the half-closed stretch.
        await c.WaitForAsync(
            s => serverFirst ? s != TcpState.Established : s == TcpState.CloseWait,
            s => serverFirst ? s == TcpState.CloseWait : s != TcpState.Established,
            "the other end to reach CLOSE_WAIT", cancellationToken).ConfigureAwait(false);
        if (serverFirst)
        {
            c.CloseClient("client closes second");
        }
        else
        {
            c.CloseServer("server closes second");
        }
        // Settled: nothing left but TIME_WAIT (on whichever end it lands).
        var settled = await c.WaitForAsync(s => s is null or TcpState.TimeWait, s => s is null or TcpState.TimeWait, "the close to finish", cancellationToken).ConfigureAwait(false);
        await c.DisposeAsync().ConfigureAwait(false);
        return new CloseRun(order, c.ServerEnd.ToString(), c.ClientEnd.ToString(), c.ServerIn(settled)?.State, c.ClientIn(settled)?.State, firstClose, c.Timeline);
    }
}

/// <summary>Timeline charts of the teardown experiments, all drawn from sampled states.</summary>
public static class TeardownCharts
{
    /// <summary>Two rows per run (server end, client end), with the close() calls marked; 0 = each run's first close.</summary>
    public static Figure BothEnds(string name, string title, IReadOnlyList<(string Label, CloseRun Run)> runs)
    {
        var lanes = new List<TimelineLane>();
        var markers = new List<TimelineMarker>();
        foreach (var (label, run) in runs)
        {
            var server = $"{label} · server";
            var client = $"{label} · client";
            lanes.AddRange(TimelineLane.OfConnection(run.Timeline, run.ServerEnd, run.ClientEnd, server, client, run.FirstCloseAtMs));
            markers.AddRange(TimelineChart.Place([(server, EventSides.Server), (client, EventSides.Client)],
                run.Timeline.Events.Where(e => e.Kind == EventKinds.Close && !e.Label.StartsWith("listener", StringComparison.Ordinal)), run.FirstCloseAtMs));
        }
        return TimelineChart.Build(name, title, lanes, markers, "ms since the first close()");
    }

    /// <summary>Rows for the given sockets of one timeline (each the socket of one side, see <see cref="EventSides"/>), with each action on the row of the side that acted.</summary>
    public static Figure Sockets(string name, string title, Timeline timeline, IReadOnlyList<(string Label, string Key, string? Side)> sockets, double originMs, string xTitle)
    {
        var histories = timeline.Histories();
        var shown = sockets
            .Select(s => (s.Label, s.Side, History: histories.FirstOrDefault(h => h.Key == s.Key)))
            .Where(s => s.History is not null)
            .ToList();
        var lanes = shown.Select(s => new TimelineLane(s.Label, s.History!, originMs)).ToList();
        var markers = TimelineChart.Place(shown.Select(s => (s.Label, s.Side)).ToList(),
            timeline.Events.Where(e => e.Kind != EventKinds.Listen && e.Kind != EventKinds.Connect), originMs);
        return TimelineChart.Build(name, title, lanes, markers, xTitle);
    }
}
