using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Observation;

public sealed class TransitionTests
{
    private static readonly IPEndPoint Server = new(IPAddress.Loopback, 5000);
    private static readonly IPEndPoint Client = new(IPAddress.Loopback, 40000);

    private static TcpEntry ServerEnd(TcpState state) => new(Server, Client, state);

    [Fact]
    public void Transitions_EstablishedThenTimeWait_ReportsBothFinWaitStatesUnseenInThatInterval()
    {
        var samples = new[]
        {
            new Sample(0, new[] { ServerEnd(TcpState.Established) }),
            new Sample(10, new[] { ServerEnd(TcpState.Established) }),
            new Sample(12, new[] { ServerEnd(TcpState.TimeWait) }),
        };

        var t = Assert.Single(TcpPaths.Transitions(samples));

        Assert.Equal(("ESTABLISHED", "TIME_WAIT"), (t.From, t.To));
        Assert.Equal(new[] { "FIN_WAIT_1", "FIN_WAIT_2" }, t.Unseen);
        Assert.Equal(10, t.AfterMs);
        Assert.Equal(12, t.ByMs);
        Assert.True(t.HasUnseen);
    }

    [Fact]
    public void Transitions_EveryStateSampled_NothingUnseen()
    {
        var samples = new[]
        {
            new Sample(0, new[] { ServerEnd(TcpState.Established) }),
            new Sample(1, new[] { ServerEnd(TcpState.FinWait1) }),
            new Sample(2, new[] { ServerEnd(TcpState.FinWait2) }),
            new Sample(3, new[] { ServerEnd(TcpState.TimeWait) }),
        };

        var transitions = TcpPaths.Transitions(samples);

        Assert.Equal(3, transitions.Count);
        Assert.All(transitions, t => Assert.Empty(t.Unseen));
    }

    [Fact]
    public void Transitions_CloseWaitThenGone_LastAckUnseenAndEndsClosed()
    {
        var samples = new[]
        {
            new Sample(0, new[] { ServerEnd(TcpState.CloseWait) }),
            new Sample(5, Array.Empty<TcpEntry>()),
        };

        var t = Assert.Single(TcpPaths.Transitions(samples));

        Assert.Equal("CLOSED", t.To);
        Assert.Equal(new[] { "LAST_ACK" }, t.Unseen);
    }

    [Fact]
    public void Transitions_MissingFromOneReadThenTimeWait_NoClosedBeforeTheLaterSample()
    {
        // A read that misses the socket once (reviewer finding: the path read "→ (CLOSE_WAIT) → (LAST_ACK) → CLOSED"
        // although later samples showed TIME_WAIT).
        var samples = new[]
        {
            new Sample(0, new[] { ServerEnd(TcpState.Established) }),
            new Sample(4, Array.Empty<TcpEntry>()),
            new Sample(9, new[] { ServerEnd(TcpState.TimeWait) }),
            new Sample(15, new[] { ServerEnd(TcpState.TimeWait) }),
        };

        var t = Assert.Single(TcpPaths.Transitions(samples));

        Assert.Equal(("ESTABLISHED", "TIME_WAIT", 0.0, 9.0), (t.From, t.To, t.AfterMs, t.ByMs));
        Assert.Equal(new[] { "FIN_WAIT_1", "FIN_WAIT_2" }, t.Unseen);
    }

    [Fact]
    public void Between_FinWait1ToTimeWait_UsualPathThroughFinWait2()
    {
        Assert.Equal(new[] { "FIN_WAIT_2" }, TcpPaths.Between("FIN_WAIT_1", "TIME_WAIT"));
        Assert.Equal(new[] { "CLOSE_WAIT" }, TcpPaths.Between("ESTABLISHED", "LAST_ACK"));
        Assert.Empty(TcpPaths.Between("TIME_WAIT", "CLOSED"));
        Assert.Empty(TcpPaths.Between("LISTEN", "TIME_WAIT"));
    }

    [Fact]
    public void Mark_StepResult_OutcomeIsErrnoName()
    {
        var timeline = new Timeline();
        var failed = new StepResult("bind", Errno.From(98, OsFamily.Linux));

        var e = timeline.Mark(EventKinds.Bind, "bind again", failed);

        Assert.Equal("EADDRINUSE", e.Outcome);
        Assert.Equal("bind", e.Kind);
    }

    [Fact]
    public void SocketWatch_AppearChangeDisappear_OneChangeEach()
    {
        var watch = new SocketWatch(_ => true);

        var first = watch.Update(new[] { ServerEnd(TcpState.Established) }, 0);
        var same = watch.Update(new[] { ServerEnd(TcpState.Established) }, 1);
        var changed = watch.Update(new[] { ServerEnd(TcpState.FinWait2) }, 2);
        var gone = watch.Update(Array.Empty<TcpEntry>(), 3);

        Assert.Null(Assert.Single(first).From);
        Assert.Empty(same);
        Assert.Equal(("ESTABLISHED", "FIN_WAIT_2"), (Assert.Single(changed).From, changed[0].To));
        Assert.Equal("CLOSED", Assert.Single(gone).To);
        Assert.Contains("\"to\":\"CLOSED\"", gone[0].ToJson());
        // Each change says when its old state was last seen: the read before, not the moment of the change.
        Assert.Null(first[0].FromSeenMs);
        Assert.Equal(1, changed[0].FromSeenMs);
        Assert.Equal(2, gone[0].FromSeenMs);
        Assert.Contains("\"from_seen_ms\":2", gone[0].ToJson());
    }

    [Fact]
    public async Task Timeline_RealServerCloseFirst_TransitionsEndInTimeWaitWithUnseenStatesNamed()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var timeline = new Timeline();
        // A slow sampler makes unseen states likely, but the test holds whether or not they were caught.
        await using var sampler = TcpSampler.ForPorts(timeline, new[] { port }, TimeSpan.FromMilliseconds(50));
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var accepted = listener.Accept();
        var serverEnd = accepted.LocalEndPoint!.ToString();
        var clientEnd = client.LocalEndPoint!.ToString();
        await sampler.WaitForAsync(es => es.Any(e => e.Key == $"{serverEnd}>{clientEnd}" && e.State == TcpState.Established), TimeSpan.FromSeconds(5), "ESTABLISHED");

        accepted.Close();
        timeline.Mark(EventKinds.Close, "server closes");
        client.Close();
        timeline.Mark(EventKinds.Close, "client closes");
        await sampler.WaitForAsync(es => es.Any(e => e.Key == $"{serverEnd}>{clientEnd}" && e.State == TcpState.TimeWait)
                                         && !es.Any(e => e.Key == $"{clientEnd}>{serverEnd}"), TimeSpan.FromSeconds(5), "TIME_WAIT on the server end");

        var server = timeline.Transitions().Where(t => t.Key == $"{serverEnd}>{clientEnd}").ToList();
        var path = new[] { "ESTABLISHED" }.Concat(server.SelectMany(t => t.Unseen.Append(t.To))).ToList();
        Assert.Equal("TIME_WAIT", path[^1]);
        Assert.Contains("FIN_WAIT_2", path);
        Assert.All(server, t => Assert.True(t.AfterMs < t.ByMs));
        Assert.Equal(2, timeline.Events.Count(e => e.Kind == EventKinds.Close));
    }
}
