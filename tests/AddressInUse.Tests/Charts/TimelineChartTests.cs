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

        var markerTraces = figure.Data.Where(t => t["type"]!.GetValue<string>() == "scatter").ToList();
        Assert.Equal(3, markerTraces.Count);
        var byKind = markerTraces.ToDictionary(t => t["name"]!.GetValue<string>(), t => (Row: t["y"]![0]!.GetValue<string>(), Symbol: t["marker"]!["symbol"]!.GetValue<string>()));
        Assert.Equal(("server end", TimelineChart.KindSymbols["send"]), byKind["send"]);
        Assert.Equal(("client end", TimelineChart.KindSymbols["read"]), byKind["read"]);
        Assert.Equal(("client end", TimelineChart.KindSymbols["close"]), byKind["close"]);
        Assert.Equal(3, byKind.Values.Select(v => v.Symbol).Distinct().Count());
    }
}
