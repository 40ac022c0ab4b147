using System.Net;
using System.Net.NetworkInformation;
using AddressInUse.Charts;
using AddressInUse.Experiments.Teardown;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Charts;

public sealed class TimelineChartTests
{
    private static readonly (string Label, string? Side)[] Rows = [("server end", EventSides.Server), ("client end", EventSides.Client)];

    [Fact]
    public void Place_ActionsOfEachSide_GoOnThatSidesRow_BothOnEveryRow_NoSideOnTheFirst()
    {
        var events = new[]
        {
            new TimelineEvent(1, EventKinds.Send, "server writes", Side: EventSides.Server),
            new TimelineEvent(2, EventKinds.Shutdown, "client shutdown", Side: EventSides.Client),
            new TimelineEvent(3, EventKinds.Shutdown, "both shutdown", Side: EventSides.Both),
            new TimelineEvent(4, EventKinds.Kill, "killed"),
        };

        var markers = TimelineChart.Place(Rows, events, 0);

        Assert.Equal(
            ["server writes@server end", "client shutdown@client end", "both shutdown@server end", "both shutdown@client end", "killed@server end"],
            markers.Select(m => $"{m.Event.Label}@{m.Lane}").ToArray());
    }

    [Fact]
    public void Place_ActionOfASideWithoutARow_IsLeftOutRatherThanDrawnOnAnotherRow()
    {
        var markers = TimelineChart.Place([("server end", EventSides.Server)], [new TimelineEvent(1, EventKinds.Close, "client closes", Side: EventSides.Client)], 0);

        Assert.Empty(markers);
    }

    [Fact]
    public void Sockets_ServerAndClientActions_EachKindHasItsOwnSymbolOnItsOwnRow()
    {
        var timeline = new Timeline();
        var server = new IPEndPoint(IPAddress.Loopback, 5000);
        var client = new IPEndPoint(IPAddress.Loopback, 40000);
        timeline.Record([new TcpEntry(server, client, TcpState.Established), new TcpEntry(client, server, TcpState.Established)]);
        timeline.MarkBy(EventSides.Server, EventKinds.Send, "server writes");
        timeline.MarkBy(EventSides.Client, EventKinds.Read, "client reads");
        timeline.MarkBy(EventSides.Client, EventKinds.Close, "client closes");
        timeline.Record([new TcpEntry(server, client, TcpState.CloseWait), new TcpEntry(client, server, TcpState.FinWait2)]);

        var figure = TeardownCharts.Sockets("t", "t", timeline,
            [("server end", $"{server}>{client}", EventSides.Server), ("client end", $"{client}>{server}", EventSides.Client)], 0, "ms");

        // The states seen in one sample are marks too; the actions are the other scatter traces.
        var markerTraces = figure.Data.Where(t => t["type"]!.GetValue<string>() == "scatter" && !TimelineChart.StateColors.ContainsKey(t["name"]!.GetValue<string>())).ToList();
        Assert.Equal(3, markerTraces.Count);
        var byKind = markerTraces.ToDictionary(t => t["name"]!.GetValue<string>(), t => (Row: t["y"]![0]!.GetValue<string>(), Symbol: t["marker"]!["symbol"]!.GetValue<string>()));
        Assert.Equal(("server end", TimelineChart.KindSymbols["send"]), byKind["send"]);
        Assert.Equal(("client end", TimelineChart.KindSymbols["read"]), byKind["read"]);
        Assert.Equal(("client end", TimelineChart.KindSymbols["close"]), byKind["close"]);
        Assert.Equal(3, byKind.Values.Select(v => v.Symbol).Distinct().Count());
    }

    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 5000);
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 40000);

    private static Sample At(double ms, params TcpState[] serverEnd) => new(ms, serverEnd.Select(s => new TcpEntry(Server, Client, s)).ToArray());

    private static TimelineLane Lane(double originMs, params Sample[] samples) =>
        new("server end", Assert.Single(Timeline.BuildHistories(samples)), originMs);

    private static IEnumerable<(double From, double To)> Bars(Figure figure, string name) =>
        figure.Data.Where(t => t["type"]!.GetValue<string>() == "bar" && t["name"]!.GetValue<string>() == name)
            .SelectMany(t => t["base"]!.AsArray().Zip(t["x"]!.AsArray(), (b, x) => (b!.GetValue<double>(), b!.GetValue<double>() + x!.GetValue<double>())));

    [Fact]
    public void Build_EstablishedLastSeenBeforeAKillAndASlowNextSample_EndsAtItsLastSampleThenUnknown()
    {
        // Sampled at -20 and -2 ms, killed at 0, and the sampler's next look came 55 ms later.
        var lane = Lane(100, At(80, TcpState.Established), At(98, TcpState.Established), At(153, TcpState.FinWait2), At(160, TcpState.FinWait2));

        var figure = TimelineChart.Build("t", "t", [lane], []);

        var established = Assert.Single(Bars(figure, "ESTABLISHED"));
        Assert.Equal((-20, -2), established);
        Assert.Equal((-2, 53), Assert.Single(Bars(figure, TimelineChart.UnknownName)));
        Assert.Equal((53, 60), Assert.Single(Bars(figure, "FIN_WAIT_2")));
        var unknown = figure.Data.Single(t => t["name"]!.GetValue<string>() == TimelineChart.UnknownName);
        Assert.Equal("/", unknown["marker"]!["pattern"]!["shape"]!.GetValue<string>());
    }

    private static IEnumerable<string> Hovers(Figure figure, string name) =>
        figure.Data.Where(t => t["name"]!.GetValue<string>() == name).SelectMany(t => t["hovertext"]!.AsArray().Select(h => h!.GetValue<string>()));

    [Fact]
    public void Build_SampleWhoseReadBeganBeforeTheClose_HoverSaysWhenItsReadBeganAndEndedAndTheAxisSaysHowSamplesArePlaced()
    {
        // close() at 100; the last ESTABLISHED read began at 90 (before it) and ended at 101.9, where the sample is placed.
        var lane = Lane(100,
            At(80, TcpState.Established) with { ReadFromMs = 79 },
            At(101.9, TcpState.Established) with { ReadFromMs = 90 },
            At(127.1, TcpState.FinWait2) with { ReadFromMs = 126 });

        var pieces = TimelineChart.Pieces(lane);
        var figure = TimelineChart.Build("t", "t", [lane], [], "ms since the first close()");

        var established = Assert.Single(pieces, p => p.State == "ESTABLISHED" && p.Kind == TimelinePieceKind.Seen);
        Assert.Equal((-10.0, 1.9), (established.LastReadFromMs!.Value, Math.Round(established.ToMs, 1)));
        Assert.Contains(Hovers(figure, "ESTABLISHED"), h => h.EndsWith("last read from -10 to 1.9 ms", StringComparison.Ordinal) && h.Contains("first read from -21 to -20 ms"));
        Assert.Contains(Hovers(figure, "FIN_WAIT_2"), h => h.EndsWith("in one sample at 27.1<br>read from 26 to 27.1 ms", StringComparison.Ordinal));
        var axis = figure.Layout["xaxis"]!["title"]!["text"]!.GetValue<string>();
        Assert.StartsWith("ms since the first close()<br>", axis);
        Assert.Contains("each sample is placed where its read of the table ended; the read began up to 11.9 ms earlier", axis);
    }

    [Fact]
    public void Build_SamplesWithoutReadStart_NoReadNoteAndHoverAsBefore()
    {
        var lane = Lane(0, At(0, TcpState.Established), At(10, TcpState.Established));

        var figure = TimelineChart.Build("t", "t", [lane], [], "ms");

        Assert.Equal("ms", figure.Layout["xaxis"]!["title"]!["text"]!.GetValue<string>());
        Assert.All(Hovers(figure, "ESTABLISHED"), h => Assert.DoesNotContain("read from", h));
    }

    [Fact]
    public void Pieces_StateSeenInOneSample_IsAMarkAtThatSampleNotAStretch()
    {
        var lane = Lane(0, At(0, TcpState.Established), At(10, TcpState.Established), At(20, TcpState.FinWait1), At(30, TcpState.TimeWait), At(40, TcpState.TimeWait));

        var pieces = TimelineChart.Pieces(lane);

        var finWait1 = Assert.Single(pieces, p => p.State == "FIN_WAIT_1" && p.Kind != TimelinePieceKind.Unknown);
        Assert.Equal((TimelinePieceKind.SeenOnce, 20.0, 20.0), (finWait1.Kind, finWait1.FromMs, finWait1.ToMs));
        Assert.Equal(
            [(TimelinePieceKind.Seen, 0.0, 10.0), (TimelinePieceKind.Unknown, 10.0, 20.0), (TimelinePieceKind.SeenOnce, 20.0, 20.0), (TimelinePieceKind.Unknown, 20.0, 30.0), (TimelinePieceKind.Seen, 30.0, 40.0)],
            pieces.Select(p => (p.Kind, p.FromMs, p.ToMs)));
        var figure = TimelineChart.Build("t", "t", [lane], []);
        Assert.Empty(Bars(figure, "FIN_WAIT_1"));
        var mark = figure.Data.Single(t => t["type"]!.GetValue<string>() == "scatter" && t["name"]!.GetValue<string>() == "FIN_WAIT_1");
        Assert.Equal(20, mark["x"]![0]!.GetValue<double>());
        Assert.True(mark["showlegend"]!.GetValue<bool>());
    }

    [Fact]
    public void Pieces_SocketDisappears_LastObservationIsNotExtended()
    {
        var lane = Lane(0, At(0, TcpState.TimeWait), At(10, TcpState.TimeWait), At(70), At(80));

        var pieces = TimelineChart.Pieces(lane);

        Assert.Equal(10, pieces.Where(p => p.Kind != TimelinePieceKind.Unknown).Max(p => p.ToMs));
        var gap = Assert.Single(pieces, p => p.Kind == TimelinePieceKind.Unknown);
        Assert.Equal((10.0, 70.0, (string?)null), (gap.FromMs, gap.ToMs, gap.NextState));
    }

    [Fact]
    public void Pieces_SocketMissingFromOneReadThenSeenAgain_GapNamesTheLaterStateNotGone()
    {
        // Chapter 02's server end once: ESTABLISHED, one read without it, then TIME_WAIT (reviewer finding: "then gone").
        var lane = Lane(0, At(0, TcpState.Established), At(4), At(9, TcpState.TimeWait), At(15, TcpState.TimeWait));

        var pieces = TimelineChart.Pieces(lane);

        var gap = Assert.Single(pieces, p => p.Kind == TimelinePieceKind.Unknown);
        Assert.Equal((0.0, 9.0, (string?)"TIME_WAIT"), (gap.FromMs, gap.ToMs, gap.NextState));
    }
}
