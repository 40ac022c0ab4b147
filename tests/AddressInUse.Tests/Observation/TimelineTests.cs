using Microsoft.Extensions.Time.Testing;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Observation;

public sealed class TimelineTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 5000);
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 40000);

    private static TcpEntry ServerEnd(TcpState state) => new(Server, Client, state);

    [Fact]
    public void BuildHistories_StateChangesAndDisappearance_SpansWithSampledBoundaries()
    {
        var samples = new[]
        {
            new Sample(0, new[] { ServerEnd(TcpState.Established) }),
            new Sample(10, new[] { ServerEnd(TcpState.Established) }),
            new Sample(20, new[] { ServerEnd(TcpState.FinWait2) }),
            new Sample(30, new[] { ServerEnd(TcpState.TimeWait) }),
            new Sample(40, Array.Empty<TcpEntry>()),
        };

        var history = Assert.Single(Timeline.BuildHistories(samples));

        Assert.Equal(new[] { "ESTABLISHED", "FIN_WAIT_2", "TIME_WAIT" }, history.States);
        Assert.Equal(new StateSpan("ESTABLISHED", 0, 20, 2, 10), history.Spans[0]);
        Assert.Equal(new StateSpan("TIME_WAIT", 30, 40, 1, 30), history.Spans[2]);
        Assert.Equal(10, history.Spans[0].SeenUntilMs);
        Assert.Equal("FIN_WAIT_2", history.StateAt(25));
        Assert.Null(history.StateAt(45));
    }

    [Fact]
    public void BuildHistories_SocketReappears_OneHistoryWithBothStretches()
    {
        var samples = new[]
        {
            new Sample(0, new[] { ServerEnd(TcpState.Established) }),
            new Sample(10, Array.Empty<TcpEntry>()),
            new Sample(20, new[] { ServerEnd(TcpState.TimeWait) }),
        };

        var history = Assert.Single(Timeline.BuildHistories(samples));

        Assert.Equal(2, history.Spans.Count);
        Assert.Equal(10, history.Spans[0].ToMs);
        Assert.Equal(20, history.Spans[1].FromMs);
    }

    [Fact]
    public void Mark_WithInjectedClock_EventsStampedOnThatClock()
    {
        var clock = new FakeTimeProvider();
        var timeline = new Timeline(clock);
        clock.Advance(TimeSpan.FromMilliseconds(250));

        var e = timeline.Mark("kill", "server killed");

        Assert.Equal(250, e.AtMs, 3);
        Assert.Same(e, Assert.Single(timeline.Events));
    }

    [Fact]
    public async Task Sampler_RealConnectionClosedByServer_SeesFinWait2ThenTimeWait()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var timeline = new Timeline();
        await using var sampler = TcpSampler.ForPorts(timeline, new[] { port });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        var accepted = listener.Accept();
        var serverEnd = (IPEndPoint)accepted.LocalEndPoint!;

        await sampler.WaitForAsync(es => es.Any(e => e.Local.Equals(serverEnd) && e.State == TcpState.Established), TimeSpan.FromSeconds(5), "ESTABLISHED");
        accepted.Dispose();
        await sampler.WaitForAsync(es => es.Any(e => e.Local.Equals(serverEnd) && e.State == TcpState.FinWait2), TimeSpan.FromSeconds(5), "FIN_WAIT_2");
        client.Shutdown(SocketShutdown.Both);
        await sampler.WaitForAsync(es => es.Any(e => e.Local.Equals(serverEnd) && e.State == TcpState.TimeWait), TimeSpan.FromSeconds(5), "TIME_WAIT");

        var clientEnd = client.LocalEndPoint!.ToString();
        var history = timeline.Histories().Single(h => h.Local == serverEnd.ToString() && h.Remote == clientEnd);
        // FIN_WAIT_1 lasts microseconds on loopback: it may or may not fall on a sample, but the order never changes.
        string[] activeClose = { "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "TIME_WAIT" };
        Assert.Equal("ESTABLISHED", history.States[0]);
        Assert.Contains("FIN_WAIT_2", history.States);
        Assert.Equal("TIME_WAIT", history.States[^1]);
        Assert.Equal(history.States, activeClose.Where(history.States.Contains));
        Assert.True(sampler.SampleCount >= 3);
        // Every sample keeps when its read began, at or before where it is placed (when the read ended).
        Assert.All(timeline.Samples, sample => Assert.True(sample.ReadFromMs is { } from && from <= sample.AtMs, $"read from {sample.ReadFromMs} to {sample.AtMs}"));
        Assert.All(history.Spans, span => Assert.True(span.FirstReadFromMs <= span.FromMs && span.LastReadFromMs <= span.SeenUntilMs));
    }
}
