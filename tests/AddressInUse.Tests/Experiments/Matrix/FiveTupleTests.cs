using AddressInUse.Child;
using AddressInUse.Native;
using AddressInUse.Experiments.Matrix;

namespace AddressInUse.Tests.Experiments.Matrix;

[Collection(SpecificPortCollection.Name)]
public sealed class FiveTupleTests
{
    [LinuxFact]
    public async Task SharedLocalPort_DifferentServers_BothConnectButTheSameFourTupleIsRefused()
    {
        var o = await FiveTuple.MeasureAsync();

        Assert.True(o.Attempts.Single(a => a.Name == "client-port-to-server-a").Ok);
        Assert.True(o.Attempts.Single(a => a.Name == "client-port-to-server-b").Ok);
        var again = o.Attempts.Single(a => a.Name == "client-port-to-server-a-again");
        Assert.Equal("connect", again.Decisive.Step);
        Assert.Equal("EADDRNOTAVAIL", again.Decisive.Outcome);
        Assert.Equal("EADDRINUSE", o.Attempts.Single(a => a.Name == "client-port-without-option").Decisive.Outcome);
    }

    [LinuxFact]
    public async Task SharedPorts_TableShowsTwoConnectionsPerPortWithDistinctRemotes()
    {
        var o = await FiveTuple.MeasureAsync();

        foreach (var port in new[] { o.ServerPort, o.SharedClientPort })
        {
            var rows = o.Connections.Where(c => c.LocalPort == port).ToList();
            Assert.Equal(2, rows.Count);
            Assert.Equal(2, rows.Select(r => (r.RemoteAddress, r.RemotePort)).Distinct().Count());
        }
    }

    [UnixFact]
    public async Task DotnetPath_PlainBindOnTheSharedPort_BindsBecauseBindSetsReuseAddr()
    {
        var o = await FiveTuple.MeasureAsync(BindApi.Dotnet);

        Assert.True(o.Attempts.Single(a => a.Name == "client-port-without-option").Ok);
        var cases = o.Cases.ToList();
        Assert.All(cases, c => Assert.Equal("D7", c.Scenario));
        Assert.Equal(cases.Count, cases.Select(c => c.Case).Distinct().Count());
    }
}
