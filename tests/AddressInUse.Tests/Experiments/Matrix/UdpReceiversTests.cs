using AddressInUse.Child;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;

namespace AddressInUse.Tests.Experiments.Matrix;

[Collection(SpecificPortCollection.Name)]
public sealed class UdpReceiversTests
{
    [LinuxFact]
    public async Task Unicast_NoOptions_OnlyTheFirstBindsAndTheOthersGetEaddrinuse()
    {
        var o = await UdpReceivers.UnicastAsync(3, SocketOptionSet.None);

        Assert.True(o.Receivers[0].Ok);
        Assert.All(o.Receivers.Skip(1), r => Assert.Equal("EADDRINUSE", r.Decisive.Outcome));
        Assert.Equal(o.Sent, o.Receivers[0].Received);
    }

    [LinuxFact]
    public async Task Unicast_ReuseAddrOnThree_OnlyTheLastBoundReceives()
    {
        var o = await UdpReceivers.UnicastAsync(3, SocketOptionSet.ReuseAddress, datagrams: 16);

        Assert.All(o.Receivers, r => Assert.True(r.Ok, r.ToString()));
        Assert.Equal(new[] { 0, 0, 16 }, o.Receivers.Select(r => r.Received));
    }

    [LinuxFact]
    public async Task Unicast_ReusePortOnFour_EverySocketGetsAShare()
    {
        // 64 datagrams from 64 fresh senders: a socket left with none has odds of about 4 in 100 million.
        var o = await UdpReceivers.UnicastAsync(4, SocketOptionSet.ReusePort, datagrams: 64);

        Assert.Equal(64, o.Receivers.Sum(r => r.Received));
        Assert.All(o.Receivers, r => Assert.True(r.Received > 0, o.ToString()));
    }

    [LinuxFact]
    public async Task Multicast_ReuseAddrOnThree_EveryMemberReceivesEveryDatagramOrAClearSkip()
    {
        var o = await UdpReceivers.MulticastAsync(3, SocketOptionSet.ReuseAddress);

        if (UdpReceivers.MulticastUnavailable is { } reason)
        {
            Assert.Equal(reason, o.Skipped);
            Assert.Contains("no multicast on the loopback interface", reason);
            return;
        }
        Assert.Null(o.Skipped);
        Assert.All(o.Receivers, r => Assert.Equal(o.Sent, r.Received));
        Assert.Equal(new[] { "bind", "join" }, o.Receivers[0].Steps.Select(s => s.Step));
    }

    [LinuxFact]
    public async Task Multicast_NoOptions_SecondMemberCannotBind()
    {
        var o = await UdpReceivers.MulticastAsync(2, SocketOptionSet.None);

        if (o.Skipped is not null)
        {
            return;
        }
        Assert.Equal("bind", o.Receivers[1].Decisive.Step);
        Assert.Equal("EADDRINUSE", o.Receivers[1].Decisive.Outcome);
    }

    [UnixFact]
    public async Task EveryOption_Records_OnePerSocketAfterTheFirstWithUniqueNames()
    {
        var groups = await UdpReceivers.EveryOptionAsync(multicast: false, sockets: 3, BindApi.Dotnet);
        var cases = groups.Cases.ToList();

        Assert.Equal(3 * 2, cases.Count);
        Assert.Equal(cases.Count, cases.Select(c => c.Case).Distinct().Count());
        Assert.All(cases, c => Assert.Equal("D5", c.Scenario));
        var chart = groups.Chart("d5");
        Assert.Equal(3, chart.Data.Count);
    }

    [Fact]
    public async Task Run_OutOfRangeCounts_ClearErrors()
    {
        var sockets = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => UdpReceivers.UnicastAsync(1, SocketOptionSet.None));
        var datagrams = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => UdpReceivers.UnicastAsync(2, SocketOptionSet.None, datagrams: 0));

        Assert.Contains("2 to 8", sockets.Message);
        Assert.Contains("1 to 256", datagrams.Message);
    }

    [Fact]
    public void Chart_EverythingSkipped_ClearError()
    {
        var skipped = new ReceiverGroupOutcome("D6", "multicast", BindApi.Native, SocketOptionSet.None, "239.255.41.41", 0,
            Array.Empty<ReceiverResult>(), 0, "no multicast here", Array.Empty<string>());

        var e = Assert.Throws<InvalidOperationException>(() => new ReceiverGroups(new[] { skipped }).Chart("d6"));

        Assert.Contains("no multicast here", e.Message);
        Assert.Empty(skipped.Cases);
    }
}
