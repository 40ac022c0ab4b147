using AddressInUse.Capture;
using System.Diagnostics;
using AddressInUse.Experiments.Packets;
using AddressInUse.Experiments.Teardown;
using AddressInUse.Lab;
using AddressInUse.Tests.Lab;

namespace AddressInUse.Tests.Experiments.Packets;

/// <summary>The captured experiments, run in the real private network lab.</summary>
public sealed class SeeThePacketsTests
{
    [Fact]
    public void CaptureNote_CountOverFourAttemptsAndMssUnits_SaysTheTableShowsTheLastAttemptAndWhyTheKernelCountsMore()
    {
        TracedSegment Segment(double atUs, string from, string flags) => new(atUs, from, flags, 1, 1, 64, 0, null, null, 0);
        var segments = new[] { Segment(0, "client", "SYN"), Segment(1, "server", "SYN,ACK"), Segment(2, "client", "ACK") };
        var count = new CaptureCount(52, 26, 27, 0, 0, 0) { KeptInKernelUnits = 27 };
        var run = new CapturedConnection("simultaneous", "B3", "captured-simultaneous", "simultaneous close", new LabAvailability(true, ""),
            new PacketTrace("127.0.0.1:1", "127.0.0.1:2", segments, [], count), new System.Text.Json.Nodes.JsonObject { ["attempts"] = 4 }, new Dictionary<string, string>());

        var note = run.CaptureNote();

        Assert.StartsWith("capture complete: yes (26 segments captured (27 as the kernel counts them, in MSS units): 27 sent by the kernel's TCP, 0 dropped", note);
        Assert.Contains("The count covers every connection of this run (4 attempts); the table shows the last one's 3 segments.", note);
        Assert.Contains("tcp_bound_to_half_wnd", note);
        Assert.Contains(">win (raw, before window scaling)</th>", run.ToHtml());
        Assert.Contains(System.Net.WebUtility.HtmlEncode(note), run.ToHtml());
    }

    [LabFact]
    public async Task CloseAsync_ClientClosesFirst_FourWayCloseCapturedAndTheTableAgrees()
    {
        var run = await SeeThePackets.CloseAsync(CloseOrder.ClientClosesFirst);

        Assert.Equal("client>server SYN", run.Arrows[0]);
        Assert.Contains("client>server FIN,ACK", run.Arrows);
        Assert.Contains("server>client FIN,ACK", run.Arrows);
        Assert.Equal("TIME_WAIT", run.ClientStates[^1].State);
        Assert.Equal("CLOSED", run.ServerStates[^1].State);
        Assert.True(run.AgreesWithTable);
        Assert.Equal(0, run.Trace!.Count.SocketDrops);
    }

    [LabFact]
    public async Task CloseAsync_ConnectMarker_IsFollowedFirstByItsSyn()
    {
        var run = await SeeThePackets.CloseAsync(CloseOrder.ClientClosesFirst);

        var connect = run.Trace!.Actions.Single(a => a.Kind == "connect");
        var syn = run.Trace.Segments.First(s => s.Flags == "SYN");
        // Both are CLOCK_REALTIME: the action's stamp before the call, the frame's stamp by the kernel on lo. The marker sits at
        // its SYN when nothing was captured between them (the warm-up connection's frames are left out); how many
        // microseconds apart depends on the machine's load, which a test does not measure.
        Assert.True(connect.AtUs <= syn.AtUs, $"the connect marker ({connect.AtUs} us) comes after its SYN ({syn.AtUs} us)");
        var between = run.Trace.Segments.Where(s => s.AtUs >= connect.AtUs && s.AtUs < syn.AtUs).ToList();
        Assert.True(between.Count == 0, "captured between the connect marker and its SYN: " + string.Join(", ", between.Select(s => $"{s.Flags} at {s.AtUs} us")));
        // The frame is stamped as lo delivers it, so the client's FIN precedes the server's reading the end of the stream.
        var fin = run.Trace.Segments.First(s => s.From == "client" && s.Has("FIN"));
        Assert.True(fin.AtUs <= run.Trace.Actions.Single(a => a.Kind == "read").AtUs, $"FIN at {fin.AtUs} µs, read at {run.Trace.Actions.Single(a => a.Kind == "read").AtUs} µs");
        Assert.True(run.AgreesWithTable);
    }

    [LabFact]
    public async Task StuffedPipeAndLastAck_Capture_CompleteCountingInMssUnits()
    {
        foreach (var run in new[] { await SeeThePackets.StuffedPipeAsync(), await SeeThePackets.LastAckAsync() })
        {
            var count = run.Trace!.Count;
            Assert.True(count.Complete, count.Describe());
            Assert.True(count.KeptInKernelUnits > count.Kept, count.Describe());
        }
    }

    [LabFact]
    public async Task CloseAsync_Capture_KeepsEverySegmentTheKernelSent()
    {
        var run = await SeeThePackets.CloseAsync(CloseOrder.ServerClosesFirst);

        Assert.True(run.Trace!.Count.Complete, $"captured {run.Trace.Count.Kept}, kernel sent {run.Trace.Count.KernelOutSegs}, socket drops {run.Trace.Count.SocketDrops}");
        Assert.Equal(2 * run.Trace.Count.Kept, run.Trace.Count.Frames);
    }

    [LabFact]
    public async Task LostLastAckAsync_TimeWait_RetransmittedFinAnsweredByAck()
    {
        var run = await SeeThePackets.LostLastAckAsync();

        var dropped = run.Trace!.Segments.Single(s => s.Dropped);
        var after = run.Trace.Segments.SkipWhile(s => !s.Dropped).Skip(1).ToList();
        Assert.Equal(("client", "ACK"), (dropped.From, dropped.Flags));
        Assert.Equal(["server>client FIN,ACK", "client>server ACK"], after.Select(s => $"{s.From}>{s.To} {s.Flags}"));
        Assert.Equal(1, run.Details["nft_dropped"]!.GetValue<int>());
        // The FIN is retransmitted after the RTO, which on Linux is at least 200 ms (TCP_RTO_MIN).
        Assert.True(after[0].AtUs - dropped.AtUs >= 200_000, $"retransmitted after {after[0].AtUs - dropped.AtUs} µs");
    }

    [LabFact]
    public async Task LostLastAckAsync_NoTimeWait_RetransmittedFinMeetsRst()
    {
        var run = await SeeThePackets.LostLastAckAsync(LastAckCloser.NoTimeWait);

        var after = run.Trace!.Segments.SkipWhile(s => !s.Dropped).Skip(1).Select(s => $"{s.From}>{s.To} {s.Flags}");
        Assert.Equal(["server>client FIN,ACK", "client>server RST"], after);
        // The overflow was counted, so the client is drawn closed, never in TIME_WAIT, and the table agrees.
        Assert.True(run.TimeWaitSkipped);
        Assert.DoesNotContain(run.ClientStates, c => c.State == "TIME_WAIT");
        Assert.Equal(TcpStateMachine.ClosedTimeWaitSkipped, run.ClientStates[^1].State);
        Assert.True(run.AgreesWithTable);
        Assert.Equal(1, run.Details["tw_overflow_counter"]!.GetValue<long>());
    }

    [LabFact]
    public async Task ResetIntoTimeWaitAsync_Rfc1337Off_EndsTheEntryOn_DoesNot()
    {
        var off = await SeeThePackets.ResetIntoTimeWaitAsync(rfc1337: false);
        var on = await SeeThePackets.ResetIntoTimeWaitAsync(rfc1337: true);

        Assert.True(off.Details["time_wait_ended"]!.GetValue<bool>());
        Assert.False(on.Details["time_wait_ended"]!.GetValue<bool>());
        Assert.All(new[] { off, on }, run => Assert.Equal("RST", run.Trace!.Segments.Single(s => s.Injected).Flags));
        Assert.True(off.AgreesWithTable);
        Assert.True(on.AgreesWithTable);
    }

    [LabFact]
    public async Task LingerZeroAsync_CSharpCloseWithLingerStateZero_RstNoFinNoTimeWaitRecordedAsDotnet()
    {
        var run = await SeeThePackets.LingerZeroAsync();

        Assert.Contains("client>server RST", run.Arrows[^1]);
        Assert.DoesNotContain(run.Arrows, a => a.Contains("FIN"));
        Assert.DoesNotContain("TIME_WAIT", run.ClientStates.Select(s => s.State));
        Assert.Equal("on, 0", run.Details["linger_read_back"]!.GetValue<string>());
        Assert.Contains("Socket.Close()", run.Details["closed_through"]!.GetValue<string>());
        Assert.Equal("dotnet", Assert.Single(run.Cases).Api);
    }

    [LabFact]
    public async Task KillWithUnreadDataAsync_ProcessHoldingTheSocketKilled_RstAndNoFinAndNoProcessLeft()
    {
        var run = await SeeThePackets.KillWithUnreadDataAsync();

        Assert.Equal("server>client RST,ACK", run.Arrows[^1]);
        Assert.DoesNotContain(run.Arrows, a => a.Contains("FIN"));
        Assert.Equal("CLOSED", run.ServerStates[^1].State);
        Assert.Contains(run.Trace!.Actions, a => a.Kind == "kill");
        Assert.Empty(ProcessesIn(run.Namespace!));
    }

    [LabFact]
    public async Task NewSynAsync_SameFourTupleAsTimeWait_AcceptedAndRecycled()
    {
        var run = await SeeThePackets.NewSynAsync(timestamps: true);

        Assert.Equal("connected", run.Details["outcome"]!.GetValue<string>());
        Assert.Contains(run.ServerStates, c => c.Because.Contains("TIME_WAIT recycled"));
        Assert.Equal("ESTABLISHED", run.Details["server_end_after"]!.GetValue<string>());
    }

    [LabFact]
    public async Task OverflowAsync_SmallBuckets_ExtraClosesCountedAsOverflow()
    {
        var outcome = await SeeThePackets.OverflowAsync(buckets: 2, connections: 5);

        Assert.Equal(2, outcome.TimeWaitEntries);
        Assert.Equal(3, outcome.OverflowCounted);
    }

    [LabFact]
    public async Task CapturedRun_AfterItEnds_NoLabProcessNoNamespaceNoHostRuleLeft()
    {
        var rulesBefore = HostRuleset();
        var rfc1337Before = LabSettings.Read("net.ipv4.tcp_rfc1337");

        foreach (var lab in new Func<Task<CapturedConnection>>[] { () => SeeThePackets.ResetIntoTimeWaitAsync(rfc1337: true), () => SeeThePackets.LostLastAckAsync() })
        {
            var run = await lab();
            var endedAt = TicksSinceBoot();

            Assert.NotNull(run.Namespace);
            Assert.NotEqual(NetworkLab.CurrentNamespace(), run.Namespace);
            // A namespace's id is reused once it is gone, so a lab another test starts later can carry the same id: only a
            // process that started before this lab ended can be its leftover.
            Assert.DoesNotContain(ProcessesIn(run.Namespace!), pid => StartedAtTicks(pid) is { } started && started <= endedAt);
        }
        Assert.Equal(rulesBefore, HostRuleset());
        Assert.Equal(rfc1337Before, LabSettings.Read("net.ipv4.tcp_rfc1337"));
    }

    [LabFact]
    public async Task SimultaneousAsync_ThreeAttempts_EndsCrossedWithBothInTimeWaitAndTheTableAgrees()
    {
        // The third attempt drops each FIN's first copy when the scheduler did not make them cross before, so it always crosses.
        var run = await SeeThePackets.SimultaneousAsync(attempts: 3);

        Assert.True(run.Details["crossed"]!.GetValue<bool>(), run.ToString());
        Assert.InRange(run.Details["attempts"]!.GetValue<int>(), 1, 3);
        Assert.Equal("TIME_WAIT", run.ClientStates[^1].State);
        Assert.Equal("TIME_WAIT", run.ServerStates[^1].State);
        Assert.True(run.AgreesWithTable, run.ToString());
    }

    [LabFact]
    public async Task SimultaneousClose_NoTimeWaitKept_GivesUpNamingWhyInsteadOfWaitingOutTheDeadline()
    {
        // tcp_max_tw_buckets = 0: every attempt ends with both ends gone, as the attempt seen once in CI ended by a RST.
        // Before such attempts were retried, the experiment waited 10 s for a TIME_WAIT and threw a TimeoutException.
        var settings = new Dictionary<string, string> { ["net.ipv4.tcp_max_tw_buckets"] = "0" };
        var request = new System.Text.Json.Nodes.JsonObject { ["scenario"] = "simultaneous", ["attempts"] = 10 };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NetworkLab.RunAsync(PacketScenarios.Experiment, settings, request, TimeSpan.FromSeconds(60)));

        Assert.Contains("4 attempts ended with neither end in TIME_WAIT", error.Message);
        Assert.DoesNotContain("TimeoutException", error.Message);
        Assert.Matches(@"TCPTimeWaitOverflow [1-9]", error.Message);
    }

    // Every process whose network namespace is the given one; a namespace with none (and no mount holding it) is gone.
    // Time since boot in clock ticks, the unit of /proc/PID/stat's start time (USER_HZ, 100 on Linux: part of the kernel ABI).
    private static long TicksSinceBoot() =>
        (long)(double.Parse(File.ReadAllText("/proc/uptime").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 100);

    // A process's start time in ticks since boot (field 22 of /proc/PID/stat, counted after the command's closing parenthesis), or null once it is gone.
    private static long? StartedAtTicks(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static List<int> ProcessesIn(string ns) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => int.TryParse(n, out _)).Select(int.Parse!)
            .Where(pid => { try { return new FileInfo($"/proc/{pid}/ns/net").LinkTarget == ns; } catch (IOException) { return false; } catch (UnauthorizedAccessException) { return false; } })
            .ToList();

    // The host's own nft ruleset, or a note when it cannot be read (not root, or nft missing): then it is compared as that note.
    private static string HostRuleset()
    {
        try
        {
            using var nft = Process.Start(new ProcessStartInfo("nft", "list ruleset") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var output = nft.StandardOutput.ReadToEnd() + nft.StandardError.ReadToEnd();
            nft.WaitForExit();
            return output;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "nft not installed";
        }
    }
}
