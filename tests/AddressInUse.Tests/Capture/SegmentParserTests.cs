using System.Text.Json.Nodes;
using AddressInUse.Capture;

namespace AddressInUse.Tests.Capture;

/// <summary>The parser on bytes the lab really captured (committed fixtures), so it is tested without the lab.</summary>
public sealed class SegmentParserTests
{
    internal static JsonObject Fixture(string name) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Capture", "Fixtures", name + ".json")))!.AsObject();

    internal static IReadOnlyList<CapturedFrame> Frames(JsonObject fixture) =>
        fixture["frames"]!.AsArray().Select(f => new CapturedFrame(f!["us"]!.GetValue<long>(), f["outgoing"]!.GetValue<bool>(), Convert.FromHexString(f["hex"]!.GetValue<string>()))).ToList();

    [Fact]
    public void Segments_LoopbackDeliversEachTwice_KeepsOneCopyEach()
    {
        var frames = Frames(Fixture("client-closes-first"));

        var segments = SegmentParser.Segments(frames);

        Assert.Equal(12, frames.Count);
        Assert.Equal(frames.Count / 2, segments.Count);
        Assert.Equal(frames.Count(f => !f.Outgoing), segments.Count);
    }

    [Fact]
    public void Segments_ClientClosesFirst_FlagsInTheOrderTheySailed()
    {
        var fixture = Fixture("client-closes-first");
        var client = fixture["client"]!.GetValue<string>();

        var segments = SegmentParser.Segments(Frames(fixture));

        Assert.Equal(["SYN", "SYN,ACK", "ACK", "FIN,ACK", "FIN,ACK", "ACK"], segments.Select(s => s.Flags));
        Assert.Equal([true, false, true, true, false, true], segments.Select(s => s.Source == client));
        Assert.All(segments, s => Assert.Equal(0, s.Length));
    }

    [Fact]
    public void Parse_HandshakeSegments_NumbersAndTimestampOptionRead()
    {
        var segments = SegmentParser.Segments(Frames(Fixture("client-closes-first")));
        var (syn, synAck, ack) = (segments[0], segments[1], segments[2]);

        Assert.Equal(syn.Seq + 1, synAck.Ack);
        Assert.Equal(synAck.Seq + 1, ack.Ack);
        Assert.Equal(syn.Seq + 1, ack.Seq);
        // Linux puts the timestamp option on every segment of a connection that negotiated it; the SYN,ACK echoes the SYN's TSval.
        Assert.All(segments, s => Assert.NotNull(s.TsVal));
        Assert.Equal(syn.TsVal, synAck.TsEcr);
        Assert.Equal(0u, syn.TsEcr);
        Assert.True(syn.Window > 0);
    }

    [Fact]
    public void Parse_InjectedReset_ReadAsRstWithItsSequenceNumber()
    {
        var fixture = Fixture("rst-meets-time-wait");
        var expected = fixture["details"]!["rst_seq"]!.GetValue<uint>();

        var last = SegmentParser.Segments(Frames(fixture))[^1];

        Assert.Equal("RST", last.Flags);
        Assert.Equal(expected, last.Seq);
        Assert.Null(last.TsVal);
    }

    [Fact]
    public void Parse_NotIpv4_ClearError()
    {
        var error = Assert.Throws<FormatException>(() => SegmentParser.Parse(0, [0x60, 0, 0]));

        Assert.Contains("IPv4", error.Message);
    }

    [Fact]
    public void From_FixtureFrames_SameTraceAsTheLabDerived()
    {
        var fixture = Fixture("lost-last-ack");
        var recorded = PacketTrace.FromJson(fixture["trace"]!.AsObject());
        var client = fixture["client"]!.GetValue<string>();

        var derived = PacketTrace.From(client, fixture["server"]!.GetValue<string>(), SegmentParser.Segments(Frames(fixture)), new ActionLog(), recorded.Count);

        Assert.Equal(recorded.Segments.Select(s => (s.From, s.Flags, s.Seq, s.Ack, s.Window, s.Length, s.TsVal)),
            derived.Segments.Select(s => (s.From, s.Flags, s.Seq, s.Ack, s.Window, s.Length, s.TsVal)));
        // Relative numbers: both ends start at 0 with their SYN.
        Assert.Equal(0, derived.Segments[0].Seq);
        Assert.Equal(1, derived.Segments[1].Ack);
    }
}
