using AddressInUse.Child;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Experiments.Matrix;

/// <summary>The qualitative Linux outcomes the course teaches, each measured with real sockets on loopback.</summary>
[Collection(SpecificPortCollection.Name)]
public sealed class PortSharingLinuxTests
{
    private const SocketOptionSet None = SocketOptionSet.None;
    private const SocketOptionSet ReuseAddr = SocketOptionSet.ReuseAddress;
    private const SocketOptionSet ReusePort = SocketOptionSet.ReusePort;

    private static Task<PortSharingOutcome> Measure(
        PortHolder holder,
        SocketOptionSet first,
        SocketOptionSet second,
        BindApi api = BindApi.Native,
        ProtocolPair protocols = ProtocolPair.TcpTcp,
        AddressPair addresses = AddressPair.Same,
        int probes = 8) =>
        PortSharing.MeasureAsync(new PortSharingCase(api, protocols, holder, addresses, first, second), probes);

    [LinuxFact]
    public async Task Listener_NoOptions_SecondBindFailsWithEaddrinuse98()
    {
        var o = await Measure(PortHolder.Listener, None, None);

        Assert.Equal("bind", o.Decisive.Step);
        Assert.Equal("EADDRINUSE", o.Outcome);
        Assert.Equal(98, o.Decisive.Error!.Number);
    }

    [LinuxFact]
    public async Task FreePort_NoOptions_SecondBindsAndListens()
    {
        var o = await Measure(PortHolder.None, None, None);

        Assert.True(o.Ok, o.ToString());
        Assert.Equal(new[] { "bind", "listen" }, o.SecondSteps.Select(s => s.Step));
    }

    [LinuxFact]
    public async Task TimeWait_ReuseAddrOnBoth_SecondListens()
    {
        var o = await Measure(PortHolder.TimeWait, ReuseAddr, ReuseAddr);

        Assert.Equal("TIME_WAIT", o.HolderState);
        Assert.True(o.Ok, o.ToString());
        Assert.Equal(1, o.FirstReadback!["SO_REUSEADDR"]);
        Assert.Equal(1, o.SecondReadback["SO_REUSEADDR"]);
    }

    [LinuxFact]
    public async Task TimeWait_ReuseAddrOnlyOnSecond_Eaddrinuse()
    {
        var o = await Measure(PortHolder.TimeWait, None, ReuseAddr);

        Assert.Equal("TIME_WAIT", o.HolderState);
        Assert.Equal("EADDRINUSE", o.Outcome);
        Assert.Equal("bind", o.Decisive.Step);
    }

    [LinuxFact]
    public async Task FinWait2_ReuseAddrOnBoth_SecondListensWhileHolderIsFinWait2()
    {
        var refused = await Measure(PortHolder.FinWait2, None, None);
        var allowed = await Measure(PortHolder.FinWait2, ReuseAddr, ReuseAddr);

        Assert.Equal("FIN_WAIT_2", refused.HolderState);
        Assert.Equal("EADDRINUSE", refused.Outcome);
        Assert.Equal("FIN_WAIT_2", allowed.HolderState);
        Assert.True(allowed.Ok, allowed.ToString());
    }

    [LinuxFact]
    public async Task Established_ListenerGoneChildServes_RestartBindsOnlyWithReuseAddrOnBoth()
    {
        // A4: the seeds' forked child keeps the client while the listener is restarted.
        var plain = await Measure(PortHolder.Established, None, None);
        var both = await Measure(PortHolder.Established, ReuseAddr, ReuseAddr);

        Assert.Equal("ESTABLISHED", plain.HolderState);
        Assert.Equal("EADDRINUSE", plain.Outcome);
        Assert.True(both.Ok, both.ToString());
    }

    [LinuxFact]
    public async Task CloseWait_ReuseAddrOnBoth_SecondListens()
    {
        var o = await Measure(PortHolder.CloseWait, ReuseAddr, ReuseAddr);

        Assert.Equal("CLOSE_WAIT", o.HolderState);
        Assert.True(o.Ok, o.ToString());
    }

    [LinuxFact]
    public async Task ListenerWithClient_ReuseAddrOnBoth_StillEaddrinuse()
    {
        // Seed 003, case 1: SO_REUSEADDR does not let a second socket onto a port another socket listens on.
        var o = await Measure(PortHolder.ListenerWithClient, ReuseAddr, ReuseAddr);

        Assert.Equal("LISTEN + ESTABLISHED", o.HolderState);
        Assert.Equal("EADDRINUSE", o.Outcome);
    }

    [LinuxFact]
    public async Task Connected_ReuseAddrOnBoth_ListenerBinds_OnlyOneSide_Refused()
    {
        // Seed 003, case 3: a bound-and-connected socket blocks a later listener unless both set SO_REUSEADDR.
        var both = await Measure(PortHolder.Connected, ReuseAddr, ReuseAddr);
        var secondOnly = await Measure(PortHolder.Connected, None, ReuseAddr);
        var firstOnly = await Measure(PortHolder.Connected, ReuseAddr, None);

        Assert.True(both.Ok, both.ToString());
        Assert.Equal("EADDRINUSE", secondOnly.Outcome);
        Assert.Equal("EADDRINUSE", firstOnly.Outcome);
    }

    [LinuxFact]
    public async Task TcpListener_UdpSecond_BindsBecauseTheProtocolsHaveSeparatePorts()
    {
        var o = await Measure(PortHolder.Listener, None, None, protocols: ProtocolPair.TcpUdp);

        Assert.True(o.Ok, o.ToString());
        Assert.Equal(new[] { "bind" }, o.SecondSteps.Select(s => s.Step));
    }

    [LinuxFact]
    public async Task UdpUdp_NoOptions_Eaddrinuse()
    {
        var o = await Measure(PortHolder.Udp, None, None, protocols: ProtocolPair.UdpUdp);

        Assert.Equal("EADDRINUSE", o.Outcome);
    }

    [LinuxFact]
    public async Task UdpUdp_ReuseAddrOnBoth_OnlyTheLastBoundReceivesUnicast()
    {
        // Seed 003: "only the last socket receives" — on Linux the newest of two SO_REUSEADDR sockets gets every datagram.
        var o = await Measure(PortHolder.Udp, ReuseAddr, ReuseAddr, protocols: ProtocolPair.UdpUdp);

        Assert.True(o.Ok, o.ToString());
        Assert.Equal("receive", o.ShareKind);
        var share = Assert.Single(o.Shares);
        Assert.Equal(share.Sent, share.Second);
        Assert.Equal(0, share.First);
    }

    [LinuxFact]
    public async Task TwoListeners_ReusePortOnBoth_BothListenAndShareNewConnections()
    {
        var o = await Measure(PortHolder.Listener, ReusePort, ReusePort, probes: 32);

        Assert.True(o.Ok, o.ToString());
        var share = Assert.Single(o.Shares);
        Assert.Equal(32, share.Sent);
        Assert.Equal(32, share.First + share.Second);
        // With 32 connections from random source ports, one listener getting all of them has odds of about 2 in 4 billion.
        Assert.True(share.First > 0 && share.Second > 0, share.ToString());
    }

    [LinuxFact]
    public async Task TwoListeners_ReuseAddrOnBoth_Eaddrinuse()
    {
        var o = await Measure(PortHolder.Listener, ReuseAddr, ReuseAddr);

        Assert.Equal("EADDRINUSE", o.Outcome);
    }

    [LinuxFact]
    public async Task DotnetPath_TimeWaitWithNoOptionsSet_BindsWhereNativeFails()
    {
        // G1: plain Socket.Bind switches SO_REUSEADDR on, on both the old and the new socket.
        var native = await Measure(PortHolder.TimeWait, None, None);
        var dotnet = await Measure(PortHolder.TimeWait, None, None, BindApi.Dotnet);

        Assert.Equal("EADDRINUSE", native.Outcome);
        Assert.True(dotnet.Ok, dotnet.ToString());
        Assert.Equal(1, dotnet.SecondReadback["SO_REUSEADDR"]);
        Assert.Equal(1, dotnet.FirstReadback!["SO_REUSEADDR"]);
    }

    [LinuxFact]
    public async Task DotnetReuseAddress_TwoListeners_BothListenBecauseItAlsoSetsReusePort()
    {
        // G2: on Linux, ReuseAddress = true is SO_REUSEADDR plus SO_REUSEPORT.
        var o = await Measure(PortHolder.Listener, ReuseAddr, ReuseAddr, BindApi.Dotnet);

        Assert.True(o.Ok, o.ToString());
        Assert.Equal(1, o.SecondReadback["SO_REUSEPORT"]);
        Assert.Equal("accept", o.ShareKind);
    }

    [LinuxFact]
    public async Task DotnetExclusiveAddressUse_OnLinux_ClearsBothReuseOptionsBeforeBindSetsReuseAddrAgain()
    {
        // G3: on Unix, ExclusiveAddressUse = true switches SO_REUSEADDR and SO_REUSEPORT off; Bind then sets SO_REUSEADDR again (TCP).
        var o = await Measure(PortHolder.None, None, SocketOptionSet.ExclusiveAddressUse, BindApi.Dotnet);

        Assert.True(o.Ok, o.ToString());
        Assert.Equal(1, o.SecondReadback["SO_REUSEADDR"]);
        Assert.Equal(0, o.SecondReadback["SO_REUSEPORT"]);
    }

    [LinuxFact]
    public async Task TwoSpecificAddresses_NoOptions_BothListenAndEachGetsItsOwnAddress()
    {
        var o = await Measure(PortHolder.Listener, None, None, addresses: AddressPair.TwoSpecific);

        Assert.True(o.Ok, o.ToString());
        Assert.Equal(o.Shares.Single(s => s.Target == "127.0.0.1").Sent, o.Shares.Single(s => s.Target == "127.0.0.1").First);
        Assert.Equal(o.Shares.Single(s => s.Target == "127.0.0.2").Sent, o.Shares.Single(s => s.Target == "127.0.0.2").Second);
    }

    [LinuxFact]
    public async Task WildcardListener_SpecificSecondWithReusePortOnBoth_TakesItsAddressFromTheWildcard()
    {
        // D4: the more specific listener gets every connection to its address.
        var o = await Measure(PortHolder.Listener, ReusePort, ReusePort, addresses: AddressPair.WildcardThenSpecific);

        Assert.True(o.Ok, o.ToString());
        var loopback = o.Shares.Single(s => s.Target == "127.0.0.1");
        Assert.Equal(loopback.Sent, loopback.Second);
    }

    [LinuxFact]
    public async Task FullPlan_Linux_EveryCaseMeasuredOrSkippedAndOnlyTimeWaitHoldersLeftBehind()
    {
        var plan = PortSharingPlan.Full();

        var matrix = await PortSharing.MeasureAsync(plan);

        Assert.Equal(plan.Cases().Count(), matrix.Outcomes.Count + matrix.Skipped.Count);
        Assert.Empty(matrix.Skipped);
        Assert.All(matrix.Outcomes.Where(o => !o.Ok), o => Assert.Equal("EADDRINUSE", o.Outcome));
        Assert.Equal(matrix.Outcomes.Count, matrix.Cases.Select(c => c.Case).Distinct().Count());
        // Cases that ran inside the private network lab left their sockets in its namespace, which ended with its child;
        // their port numbers mean nothing in this machine's table.
        var here = matrix.Outcomes.Where(o => o.Namespace != "lab").ToList();
        var ports = here.Select(o => o.Port).ToHashSet();
        // TIME_WAIT is the lesson's own leftover (the TIME_WAIT holders); every other socket must be gone.
        var leftovers = TcpTable.Read(e => ports.Contains(e.Local.Port) && e.StateName != "TIME_WAIT");
        Assert.Empty(leftovers);
        var timeWaits = TcpTable.Read(e => ports.Contains(e.Local.Port) && e.StateName == "TIME_WAIT").Select(e => e.Local.Port).ToHashSet();
        var missing = here.Where(o => o.Case.Holder == PortHolder.TimeWait && !timeWaits.Contains(o.Port)).ToList();
        Assert.True(missing.Count == 0, "TIME_WAIT holders not in the table: " + string.Join("; ", missing.Select(o => $"{o.Case.Name} port {o.Port} namespace {o.Namespace ?? "-"}")) + " | notes: " + string.Join("; ", matrix.Notes));
    }
}
