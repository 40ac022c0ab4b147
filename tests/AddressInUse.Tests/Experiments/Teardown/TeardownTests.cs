using System.Net;
using System.Net.NetworkInformation;
using Microsoft.Extensions.Time.Testing;
using AddressInUse.Experiments.Teardown;
using AddressInUse.Observation;
using AddressInUse.Native;
using AddressInUse.Display;

namespace AddressInUse.Tests.Experiments.Teardown;

public sealed class TeardownTests
{
    [UnixFact]
    public async Task WhoGetsTimeWait_EachOrderThreeRuns_TimeWaitAlwaysOnTheFirstCloser()
    {
        var comparison = await WhoGetsTimeWait.CompareAsync(rounds: 3);

        var serverFirst = comparison.Outcomes[0];
        var clientFirst = comparison.Outcomes[1];
        Assert.Equal(3, serverFirst.Count("server"));
        Assert.Equal(3, clientFirst.Count("client"));
        Assert.EndsWith("TIME_WAIT", serverFirst.Runs[0].PathOf(server: true));
        Assert.Contains("CLOSE_WAIT", serverFirst.Runs[0].PathOf(server: false));
        Assert.Contains("TIME_WAIT", comparison.Chart.ToJson());
        Assert.Contains("TIME_WAIT on server", comparison.ToHtml());
        var records = comparison.Cases.ToList();
        Assert.Equal(["server-closes-first", "client-closes-first"], records.Select(r => r.Case));
        Assert.Equal(3, records[0].Details!["time_wait_on_server"]!.GetValue<int>());
        Assert.Equal("client", records[1].Details!["first_closer"]!.GetValue<string>());
        Assert.Equal(3, records[1].Details!["time_wait_on_client"]!.GetValue<int>());
        Assert.All(comparison.Outcomes.SelectMany(o => o.Runs), r => Assert.True(r.SampledThroughout));
        Assert.Equal(3, records[0].Details!["runs_sampled_throughout"]!.GetValue<int>());
        Assert.True(serverFirst.WidestSampleGapMs >= serverFirst.MedianSampleGapMs);
        Assert.Equal(Math.Round(serverFirst.WidestSampleGapMs!.Value, 2), records[0].Details!["widest_sample_gap_ms"]!.GetValue<double>());
        Assert.Contains("gap between samples, median / widest", comparison.ToHtml());
    }

    [UnixFact]
    public async Task WhoGetsTimeWait_FiveRoundsEachOrder_NoPostCloseStateIsDrawnBeforeTheFirstCloseMarker()
    {
        var comparison = await WhoGetsTimeWait.CompareAsync(rounds: 5);

        foreach (var run in comparison.Outcomes.SelectMany(o => o.Runs))
        {
            string[] ends = [$"{run.ServerEnd}>{run.ClientEnd}", $"{run.ClientEnd}>{run.ServerEnd}"];
            var early = run.Timeline.Histories().Where(h => ends.Contains(h.Key)).SelectMany(h => h.Spans)
                .Where(span => span.State != "ESTABLISHED" && span.FromMs < run.FirstCloseAtMs)
                .Select(span => $"{span.State} at {span.FromMs - run.FirstCloseAtMs:0.0} ms");
            Assert.Empty(early);
        }
    }

    [LinuxFact]
    public async Task LoopbackConnection_TableSampledBetweenCloseAndItsStamp_NoPostCloseStateBeforeTheCloseMarker()
    {
        TcpSampler? sampler = null;
        var clock = new StallingClock(() => sampler);
        await using var c = await LoopbackConnection.OpenAsync(IPAddress.Loopback, timeline: new Timeline(clock));
        sampler = c.Sampler;

        clock.Arm();
        c.CloseServer("server closes first");
        var close = c.Timeline.Events[^1];
        await c.WaitForAsync(s => s != TcpState.Established, s => s == TcpState.CloseWait, "the client end to reach CLOSE_WAIT", CancellationToken.None);

        Assert.True(clock.Stalled, "the clock made the sampler read the table while the close was being stamped");
        var early = c.Timeline.Samples.Where(s => s.AtMs < close.AtMs).SelectMany(s => s.Entries)
            .Where(e => (e.Key == c.ServerKey || e.Key == c.ClientKey) && e.State != TcpState.Established).Select(e => $"{e.Key} {e.StateName}");
        Assert.Empty(early);
        Assert.Contains(c.Timeline.Samples, s => s.AtMs > close.AtMs && s.Entries.Any(e => e.Key == c.ClientKey && e.State == TcpState.CloseWait));
    }

    /// <summary>
    /// A clock that, once armed, makes the next timestamp taken on the arming thread wait for one fresh sample of the table:
    /// the stall a loaded machine can put between a close() and the stamp of its marker.
    /// </summary>
    private sealed class StallingClock(Func<TcpSampler?> sampler) : TimeProvider
    {
        private int _armedThread = -1;

        public bool Stalled { get; private set; }

        public void Arm() => Volatile.Write(ref _armedThread, Environment.CurrentManagedThreadId);

        public override long GetTimestamp()
        {
            var thread = Environment.CurrentManagedThreadId;
            if (Interlocked.CompareExchange(ref _armedThread, -1, thread) == thread && sampler() is { } s)
            {
                Stalled = true;
                s.SampleNow();
            }

            return base.GetTimestamp();
        }
    }

    [Theory]
    [InlineData(true, 40)]
    [InlineData(false, 25)]
    public void CloseRun_SampledBeforeDuringAndAfter_ThroughoutWithGapsFromTheSamples(bool closeWaitSampled, double widest)
    {
        var clock = new FakeTimeProvider();
        var timeline = new Timeline(clock);
        var server = new IPEndPoint(IPAddress.Loopback, 5000);
        var client = new IPEndPoint(IPAddress.Loopback, 40000);
        TcpEntry[] Ends(TcpState s, TcpState c) => [new(server, client, s), new(client, server, c)];
        timeline.Record(Ends(TcpState.Established, TcpState.Established));
        clock.Advance(TimeSpan.FromMilliseconds(5));
        var firstClose = timeline.MarkBy(EventSides.Server, EventKinds.Close, "server closes first").AtMs;
        clock.Advance(TimeSpan.FromMilliseconds(5));
        timeline.Record(Ends(TcpState.FinWait2, closeWaitSampled ? TcpState.CloseWait : TcpState.Established));
        clock.Advance(TimeSpan.FromMilliseconds(5));
        timeline.MarkBy(EventSides.Client, EventKinds.Close, "client closes second");
        clock.Advance(TimeSpan.FromMilliseconds(widest - 5));
        timeline.Record([new(server, client, TcpState.TimeWait)]);

        var run = new CloseRun(CloseOrder.ServerClosesFirst, server.ToString(), client.ToString(), TcpState.TimeWait, null, firstClose, timeline);
        var outcome = new CloseOrderOutcome(CloseOrder.ServerClosesFirst, [run]);

        Assert.Equal(closeWaitSampled, run.SampledThroughout);
        Assert.Equal(closeWaitSampled ? 1 : 0, outcome.Cases.Single().Details!["runs_sampled_throughout"]!.GetValue<int>());
        Assert.Equal(widest, outcome.WidestSampleGapMs!.Value, 3);
        Assert.Equal((10 + widest) / 2, outcome.MedianSampleGapMs!.Value, 3);
    }

    [LinuxFact]
    public async Task EveryStateVisible_StuffedPipeAndLastAck_AllTeardownStatesSampledOnLinux()
    {
        var outcome = await EveryStateVisible.RunAsync(maxSimultaneousAttempts: 20);

        foreach (var state in new[] { "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT" })
        {
            Assert.True(outcome.Captures.Single(c => c.State == state).Seen, $"{state} was not sampled: {outcome}");
        }
        // Every attempt runs: a simultaneous close is a rate (it depends on scheduling), reported as one, never as a certainty.
        Assert.Equal(20, outcome.Simultaneous.Attempts);
        Assert.InRange(outcome.Simultaneous.Caught, 0, 20);
        Assert.Equal(outcome.Simultaneous.Caught > 0, outcome.Simultaneous.CaughtAtAttempt is not null);
        Assert.Contains($"caught in {outcome.Simultaneous.Caught} of 20 attempts", outcome.Simultaneous.ToString());
        Assert.Contains("a probabilistic outcome", outcome.Simultaneous.ToString());
        var b3 = Assert.Single(outcome.Simultaneous.Cases).Details!;
        Assert.Equal(Math.Round(outcome.Simultaneous.Caught / 20.0, 3), b3["rate"]!.GetValue<double>());
        Assert.True(b3["probabilistic"]!.GetValue<bool>());
        Assert.NotNull(outcome.Runs[0].Chart);
        var records = outcome.Cases.ToList();
        Assert.Equal(8, records.Count);
        Assert.All(records.Where(r => r.Scenario == "B2" && r.Case != "state-established"), r => Assert.Equal("ok", r.Outcome));
        // The stuffed pipe is a crossed close held open: both ends end in TIME_WAIT, and only the server end passed CLOSING.
        var crossed = records.Single(r => r.Case == "stuffed-pipe-crossed");
        Assert.Equal("ok", crossed.Outcome);
        Assert.Contains("CLOSING", crossed.Details!["server_states"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(outcome.Simultaneous.CaughtAtAttempt is null ? "not_caught" : "ok", Assert.Single(outcome.Simultaneous.Cases).Outcome);
    }

    [UnixFact]
    public async Task HalfClosedRestart_ClientClosesFirst_ServerRebindsWithoutOptions()
    {
        var outcome = await HalfClosedRestart.ClientClosesFirstAsync();

        Assert.Null(outcome.ServerStateAtBind);
        Assert.Equal(System.Net.NetworkInformation.TcpState.TimeWait, outcome.ClientStateAtBind);
        Assert.Equal("ok", outcome.Outcome);
        var record = Assert.Single(outcome.Cases);
        Assert.Equal(("A2", "none"), (record.Scenario, record.Holder));
    }

    [LinuxFact]
    public async Task HalfClosedRestart_PeerNeverCloses_FinWait2AndCloseWaitWithUnreadBytes_RebindFails()
    {
        var outcome = await HalfClosedRestart.PeerNeverClosesAsync();

        Assert.Equal(System.Net.NetworkInformation.TcpState.FinWait2, outcome.ServerStateAtBind);
        Assert.Equal(System.Net.NetworkInformation.TcpState.CloseWait, outcome.ClientStateAtBind);
        // Linux counts the FIN in rx_queue too (it takes one sequence number): 1000 bytes + FIN.
        Assert.InRange(outcome.ClientUnreadBytes!.Value, 1000, 1001);
        Assert.Equal("EADDRINUSE", outcome.Outcome);
        var record = Assert.Single(outcome.Cases);
        Assert.Equal("fin_wait_2", record.Holder);
        // The client's kernel delays the ACK of the FIN (delayed-ACK timer, 40 ms on a fresh connection): FIN_WAIT_2 comes no sooner.
        Assert.True(record.Details!["server_fin_wait_2_after_close_ms"]!.GetValue<double>() >= 30, record.Details.ToJsonString());
        // The chart's axis counts "ms since the new bind": the bind marker sits at its 0.
        var bind = outcome.Chart.Data.Single(t => t["name"]!.GetValue<string>() == "bind: EADDRINUSE");
        Assert.Equal(0, bind["x"]![0]!.GetValue<double>());
    }

    [LinuxFact]
    public async Task HalfClosedRestart_PeerNeverClosesBothReuseAddr_RebindSucceeds()
    {
        var outcome = await HalfClosedRestart.PeerNeverClosesAsync(SocketOptionSet.ReuseAddress);

        Assert.Equal("ok", outcome.Outcome);
        Assert.Equal(1, outcome.Readback!["SO_REUSEADDR"]);
    }

    [Theory]
    [InlineData(null, false, "no attempt crossed, so there was no CLOSING to sample")]
    [InlineData(7, false, "CLOSING not sampled (it lasted less than one sample interval)")]
    [InlineData(7, true, "CLOSING was sampled")]
    public void SimultaneousCloseLine_CaughtOrNot_SaysWhyClosingWasOrWasNotSampled(int? caughtAt, bool closingSampled, string expected)
    {
        var run = new EngineeredRun("simultaneous-close", "simultaneous close", "s", "c", new Timeline());

        var line = new SimultaneousCloseOutcome(50, caughtAt, closingSampled, run).ToString();

        Assert.EndsWith(expected, line);
    }
}
