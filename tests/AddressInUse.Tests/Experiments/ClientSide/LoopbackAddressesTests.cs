using AddressInUse.Experiments.ClientSide;

namespace AddressInUse.Tests.Experiments.ClientSide;

public sealed class LoopbackAddressesTests
{
    [Fact]
    public void Check_EveryCandidate_IsReportedAnd127001Binds()
    {
        var check = LoopbackAddresses.Check();

        Assert.Equal(LoopbackAddresses.Candidates.Select(c => c.Address), check.Outcomes.Select(o => o.Address));
        Assert.True(check.CanBind("127.0.0.1"), check.ToString());
        Assert.Contains("<code>127.0.0.2</code>", check.ToHtml());
    }

    [LinuxFact]
    public void Check_OnLinux_SecondLoopbackAddressBinds()
    {
        Assert.True(LoopbackAddresses.Check().CanBind("127.0.0.2"), "Linux routes all of 127.0.0.0/8 to loopback");
    }
}
