using AddressInUse.Experiments.Avoiding;

namespace AddressInUse.Tests.Experiments.Avoiding;

// Rebinds a fixed port or churns many ephemeral ports; kept apart from tests that rebind a specific port.
[Collection(SpecificPortCollection.Name)]
public sealed class ClientClosesFirstTests
{
    [LinuxFact]
    public async Task Compare_OnLinux_ClientFirstLeavesServerTimeWaitOnlyForTheVanishedClient()
    {
        var c = await ClientClosesFirst.CompareAsync(10, TimeSpan.FromMilliseconds(300));

        Assert.Equal(10, c.ServerFirst.ServerTimeWait);
        Assert.Equal(0, c.ServerFirst.ClientTimeWait);
        Assert.Equal(1, c.ClientFirst.ServerTimeouts);
        Assert.Equal(1, c.ClientFirst.ServerTimeWait);
        Assert.Equal(10, c.ClientFirst.ClientTimeWait);
    }

    [Fact]
    public void Cases_TwoDesigns_AreF1RecordsWithTheCounts()
    {
        var c = new ProtocolDesignComparison(new ProtocolDesignOutcome("server-closes-first", 5, 0, 5, 0, 0), new ProtocolDesignOutcome("client-closes-first", 5, 1, 1, 5, 1));

        var cases = c.Cases.ToList();

        Assert.Equal(["server-closes-first", "client-closes-first"], cases.Select(x => x.Case));
        Assert.Equal(1, (int)cases[1].Details!["server_time_wait"]!);
        Assert.Contains("server-side TIME_WAIT", c.ToHtml());
    }
}
