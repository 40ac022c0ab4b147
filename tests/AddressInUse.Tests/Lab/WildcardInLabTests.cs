using System.Net;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Lab;
using AddressInUse.Native;

namespace AddressInUse.Tests.Lab;

/// <summary>A fact that needs the private network lab and iproute2's ip, which gives the lab's lo a non-loopback address.</summary>
public sealed class LabWithIpFactAttribute : RealPartsFactAttribute
{
    /// <summary>Needs the lab and ip, on Linux.</summary>
    public LabWithIpFactAttribute()
        : base(RealPart.NetworkLab, RealPart.IpRoute)
    {
        LinuxOnly = true;
    }
}

/// <summary>The matrix's wildcard cases run inside the private network lab and come back as the same cases, with the same outcomes.</summary>
[Collection(SpecificPortCollection.Name)]
public sealed class WildcardInLabTests
{
    [LabFact]
    public async Task MoreSpecificHijack_InTheLabAndOnTheHost_SameOutcomesEachSayingWhereItRan()
    {
        var plan = PortSharingPlan.MoreSpecificHijack() with { ProbesPerTarget = 2 };

        var lab = await PortSharing.MeasureAsync(plan);
        var host = await PortSharing.MeasureAsync(plan with { WildcardInLab = false });

        Assert.NotEmpty(lab.Outcomes);
        Assert.All(lab.Outcomes, o => Assert.Equal("lab", o.Namespace));
        Assert.All(host.Outcomes, o => Assert.Equal("host", o.Namespace));
        Assert.All(lab.Cases, c => Assert.Equal("lab", c.Details!["namespace"]!.GetValue<string>()));
        Assert.Equal(host.Outcomes.Select(o => o.Case), lab.Outcomes.Select(o => o.Case));
        foreach (var (inLab, onHost) in lab.Outcomes.Zip(host.Outcomes))
        {
            Assert.Equal(Describe(onHost), Describe(inLab));
        }
        // The lab's run is not a copy of a fixed answer: some cases bind and share, others are refused (D4 on Linux).
        Assert.Contains(lab.Outcomes, o => o.Ok && o.ShareKind == "accept");
        Assert.Contains(lab.Outcomes, o => o.Outcome == "EADDRINUSE");
        Assert.Equal(lab.Outcomes.Count, lab.Wildcard.InLab);
        Assert.Equal(host.Outcomes.Count, host.Wildcard.OnHost);
        Assert.NotNull(host.Wildcard.LongestOnHost);
    }

    [LabFact]
    public async Task OneWildcardCase_MeasuredAlone_RunsInTheLabWhileALoopbackCaseRunsHere()
    {
        var wildcard = new PortSharingCase(BindApi.Native, ProtocolPair.TcpTcp, PortHolder.Listener, AddressPair.WildcardThenSpecific, SocketOptionSet.ReusePort, SocketOptionSet.ReusePort);
        var loopback = wildcard with { Addresses = AddressPair.Same };

        var inLab = await PortSharing.MeasureAsync(wildcard, probesPerTarget: 2);
        var here = await PortSharing.MeasureAsync(loopback, probesPerTarget: 2);

        Assert.Equal("lab", inLab.Namespace);
        Assert.True(inLab.Ok, inLab.ToString());
        // Inside the lab too, the more specific listener takes every connection to its address.
        Assert.Equal(new ShareCount("127.0.0.1", 2, 0, 2), inLab.Shares.Single(s => s.Target == "127.0.0.1"));
        Assert.Null(here.Namespace);
        Assert.False(here.ToCase("D1").Details!.ContainsKey("namespace"));
    }

    [LabFact]
    public async Task FullMatrix_WildcardCasesInTheLab_LoopbackCasesHereInPlanOrder()
    {
        var plan = PortSharingPlan.Full() with { ProbesPerTarget = 1 };

        var matrix = await PortSharing.MeasureAsync(plan);

        var expected = plan.Cases().Where(c => !c.NeedsSecondLoopback || PortSharing.SecondLoopbackAvailable).ToList();
        Assert.Equal(expected, matrix.Outcomes.Select(o => o.Case));
        Assert.All(matrix.Outcomes, o => Assert.Equal(o.Case.Addresses.UsesWildcard() ? "lab" : null, o.Namespace));
        Assert.Equal(matrix.Outcomes.Count(o => o.Case.Addresses.UsesWildcard()), matrix.Wildcard.InLab);
        Assert.Equal(0, matrix.Wildcard.OnHost);
        Assert.Contains("inside the private network lab", matrix.ToHtml());
    }

    [Fact]
    public void LabOutcome_ThroughItsJson_RecordsTheSameCase()
    {
        var c = new PortSharingCase(BindApi.Dotnet, ProtocolPair.TcpTcp, PortHolder.Listener, AddressPair.SpecificThenWildcard, SocketOptionSet.ReuseAddress, SocketOptionSet.ExclusiveAddressUse);
        var outcome = new PortSharingOutcome(c, 41234, "LISTEN",
            [StepResult.Success("bind"), new StepResult("listen", Errno.From(98, OsFamily.Linux))],
            new Dictionary<string, int> { ["SO_REUSEADDR"] = 1, ["SO_REUSEPORT"] = 1 },
            new Dictionary<string, int> { ["SO_REUSEADDR"] = 1, ["SO_REUSEPORT"] = 0 },
            "accept", [new ShareCount("127.0.0.1", 2, 1, 1)], ["a note"]) { SocketsOpen = TimeSpan.FromMilliseconds(3.25) };

        var back = PortSharingLab.OutcomeFromJson(PortSharingLab.OutcomeToJson(outcome), c) with { Namespace = "lab" };

        Assert.Equal((outcome with { Namespace = "lab" }).ToCase("D4").Details!.ToJsonString(), back.ToCase("D4").Details!.ToJsonString());
        Assert.Equal(outcome.Decisive, back.Decisive);
        Assert.Equal(3.25, back.SocketsOpen!.Value.TotalMilliseconds, 3);
        Assert.Throws<InvalidOperationException>(() => PortSharingLab.OutcomeFromJson(PortSharingLab.OutcomeToJson(outcome), c with { Api = BindApi.Native }));
    }

    [Fact]
    public void WildcardPlacement_OnTheHost_SaysTheyListenedForMilliseconds()
    {
        var c = new PortSharingCase(BindApi.Native, ProtocolPair.TcpTcp, PortHolder.Listener, AddressPair.WildcardThenSpecific, SocketOptionSet.None, SocketOptionSet.None);
        PortSharingOutcome At(double ms) => new(c, 1, "LISTEN", [new StepResult("bind", Errno.From(98, OsFamily.Linux))], null,
            new Dictionary<string, int>(), null, [], []) { Namespace = "host", SocketsOpen = TimeSpan.FromMilliseconds(ms) };

        var placement = WildcardPlacement.Of([At(1), At(2), At(9)]);

        Assert.Equal((3, 0, 3), (placement.Cases, placement.InLab, placement.OnHost));
        Assert.Equal(9, placement.LongestOnHost!.Value.TotalMilliseconds, 3);
        Assert.Equal(2, placement.MedianOnHost!.Value.TotalMilliseconds, 3);
        Assert.Contains("wildcard address, their sockets open 2.0 ms (median) and at most 9.0 ms", placement.ToString());
    }

    [LabWithIpFact]
    public async Task LoopbackOnlyFilter_InTheLab_APeerOnAnotherAddressIsDroppedWhileLoopbackConnects()
    {
        // The foreign peer is 10.255.0.1 on the lab's own lo: it exists in the lab alone, never on this machine.
        var result = await NetworkLab.RunAsync("loopback-filter", new Dictionary<string, string>(), timeout: TimeSpan.FromSeconds(60));

        Assert.True(result["unfiltered_from_foreign"]!.GetValue<bool>(), "without the filter the foreign peer must connect, or the test shows nothing");
        Assert.False(result["filtered_from_foreign"]!.GetValue<bool>());
        Assert.True(result["filtered_from_loopback"]!.GetValue<bool>());
    }

    [LabWithIpFact]
    public async Task LoopbackOnlyFilter_OnADualStackListener_ForeignIPv6AndIPv4PeersDropped_LoopbackOfBothFamiliesConnects()
    {
        // 2001:db8:7f00::1 and fd00:1:7f12:3456::9 have 127.x in bytes 4-7, where the IPv4-only filter looked: they once got through.
        var result = await NetworkLab.RunAsync("loopback-filter", new Dictionary<string, string>(), timeout: TimeSpan.FromSeconds(60));
        var rows = result["dual_stack"]!.AsArray().Select(r => (From: r!["from"]!.GetValue<string>(), Filtered: r["filtered"]!.GetValue<bool>(), Connected: r["connected"]!.GetValue<bool>())).ToList();
        string[] foreign = [.. LabProbes.ForeignIPv6Sources, "10.255.0.1"];

        Assert.Equal(10, rows.Count);
        foreach (var (from, filtered, connected) in rows)
        {
            // Unfiltered, everyone connects (else the test shows nothing); filtered, only the loopback sources do.
            var expected = !filtered || !foreign.Contains(from);
            Assert.True(expected == connected, $"from {from}, filter {(filtered ? "on" : "off")}: connected {connected}");
        }
    }

    [LinuxFact]
    public void PortSharing_PortFindingSockets_CarryTheLoopbackOnlyFilterBeforeTheirWildcardBind()
    {
        foreach (var protocol in new[] { System.Net.Sockets.ProtocolType.Tcp, System.Net.Sockets.ProtocolType.Udp })
        {
            using var socket = NativeSocket.Create(System.Net.Sockets.AddressFamily.InterNetwork, protocol);

            PortSharing.GuardWildcard(socket);

            Assert.Equal(LoopbackOnlyFilter.Length, LoopbackOnlyFilter.InstructionCount(socket.Descriptor));
        }
    }

    [LinuxFact]
    public void CaseSocket_BindingTheWildcard_CarriesTheLoopbackOnlyFilter_ALoopbackBindDoesNot()
    {
        foreach (var api in new[] { BindApi.Native, BindApi.Dotnet })
        {
            using var wildcard = CaseSocket.Create(api, System.Net.Sockets.ProtocolType.Tcp, SocketOptionSet.None);
            using var loopback = CaseSocket.Create(api, System.Net.Sockets.ProtocolType.Tcp, SocketOptionSet.None);

            Assert.True(wildcard.Bind(new IPEndPoint(IPAddress.Any, 0)).Ok);
            Assert.True(loopback.Bind(new IPEndPoint(IPAddress.Loopback, 0)).Ok);

            Assert.Equal(LoopbackOnlyFilter.Length, LoopbackOnlyFilter.InstructionCount(wildcard.AsSocket()));
            Assert.Equal(0, LoopbackOnlyFilter.InstructionCount(loopback.AsSocket()));
        }
    }

    /// <summary>What a case's outcome teaches, without what differs between two runs (ports, timings, how a REUSEPORT split fell).</summary>
    private static string Describe(PortSharingOutcome o) =>
        $"{o.Case.Name}: {string.Join(",", o.SecondSteps)} | {string.Join(",", o.SecondReadback.Select(r => $"{r.Key}={r.Value}"))} | " +
        $"{string.Join(",", (o.FirstReadback ?? new Dictionary<string, int>()).Select(r => $"{r.Key}={r.Value}"))} | {o.ShareKind} | " +
        string.Join(",", o.Shares.Select(s => $"{s.Target}:{s.Sent}:{s.First > 0}:{s.Second > 0}"));
}
