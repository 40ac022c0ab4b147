using System.Text.Json.Nodes;
using AddressInUse.Capture;
using AddressInUse.Charts;
using AddressInUse.Tests.Capture;

namespace AddressInUse.Tests.Charts;

public sealed class SequenceChartTests
{
    private static PacketTrace Trace(string name) => PacketTrace.FromJson(SegmentParserTests.Fixture(name)["trace"]!.AsObject());

    private static JsonArray Annotations(Figure figure) => figure.ToJsonObject()["layout"]!["annotations"]!.AsArray();

    [Fact]
    public void Build_EverySegment_OneArrowFromItsSenderToItsReceiver()
    {
        var trace = Trace("client-closes-first");

        var arrows = Annotations(SequenceChart.Build("seq", "t", trace)).Where(a => a!["showarrow"]!.GetValue<bool>()).ToList();

        Assert.Equal(trace.Segments.Count, arrows.Count);
        // The client's line is left of the server's: a client segment's arrow starts left and points right.
        Assert.All(arrows.Zip(trace.Segments), x => Assert.Equal(x.Second.From == "client", x.First!["ax"]!.GetValue<double>() < x.First["x"]!.GetValue<double>()));
    }

    [Fact]
    public void Build_StateChanges_EachWrittenOnceWithItsCause()
    {
        var trace = Trace("client-closes-first");
        var changes = TcpStateMachine.Infer(trace, "client").Concat(TcpStateMachine.Infer(trace, "server")).ToList();

        var texts = Annotations(SequenceChart.Build("seq", "t", trace)).Select(a => a!["text"]!.GetValue<string>()).ToList();

        Assert.All(changes, c => Assert.Single(texts, t => t.StartsWith($"<b>{c.State}</b><br>") && t.Contains(c.Because)));
    }

    [Fact]
    public void Build_DroppedSegment_ArrowStopsHalfwayAndSaysDropped()
    {
        var trace = Trace("lost-last-ack");
        var dropped = trace.Segments.Single(s => s.Dropped);

        var annotations = Annotations(SequenceChart.Build("seq", "t", trace));

        var arrow = annotations.Where(a => a!["showarrow"]!.GetValue<bool>()).ElementAt(trace.Segments.ToList().IndexOf(dropped))!;
        Assert.InRange(arrow["x"]!.GetValue<double>(), 0.4, 0.6);
        Assert.Contains(annotations, a => a!["text"]!.GetValue<string>().Contains("(dropped)"));
    }

    [Fact]
    public void Build_TimeAxis_RowsInTimeOrderLabelledInMilliseconds()
    {
        var trace = Trace("lost-last-ack");

        var yaxis = SequenceChart.Build("seq", "t", trace).ToJsonObject()["layout"]!["yaxis"]!;

        var ticks = yaxis["ticktext"]!.AsArray().Select(t => double.Parse(t!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(trace.Segments.Count + trace.Actions.Count, ticks.Count);
        Assert.Equal(ticks.OrderBy(t => t), ticks);
        // Time runs downwards: the axis range starts at the bottom row.
        Assert.True(yaxis["range"]![0]!.GetValue<double>() > yaxis["range"]![1]!.GetValue<double>());
    }

    [Fact]
    public void Build_TimeAxis_SaysRowsAreNotToScale()
    {
        var texts = Annotations(SequenceChart.Build("seq", "t", Trace("lost-last-ack"))).Select(a => a!["text"]!.GetValue<string>());

        Assert.Contains(texts, t => t.Contains("ms since") && t.Contains("not to scale"));
    }

    [Fact]
    public void Build_TimeWaitSkipped_NoTimeWaitBandAndDrawnInClosedColour()
    {
        var figure = SequenceChart.Build("seq", "t", Trace("lost-last-ack"), timeWaitSkipped: true).ToJsonObject();

        var legend = figure["data"]!.AsArray().Select(d => (Name: d!["name"]?.GetValue<string>(), Color: d["marker"]?["color"]?.GetValue<string>())).ToList();
        Assert.DoesNotContain(legend, l => l.Name == "TIME_WAIT");
        Assert.Contains(legend, l => l.Name == TcpStateMachine.ClosedTimeWaitSkipped && l.Color == TimelineChart.StateColors["CLOSED"]);
    }
}
