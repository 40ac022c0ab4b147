using AddressInUse.Child;
using AddressInUse.Experiments.Matrix;
using AddressInUse.Native;

namespace AddressInUse.Tests.Experiments.Matrix;

public sealed class PortSharingPlanTests
{
    [Fact]
    public void Full_Linux_CountMatchesTheDimensionsAndTheMeaningfulnessRules()
    {
        // Native: 4 option sets per socket; .NET: 3. Eight TCP holders, one UDP holder, a free port at one address.
        var nativeCases = 8 * 16 * 4 + 4 /* tcp */ + 2 * 16 * 4 /* tcp/udp */ + 16 * 4 + 4 /* udp */ + 16 * 4 /* udp/tcp */;
        var dotnetCases = 8 * 9 * 4 + 3 + 2 * 9 * 4 + 9 * 4 + 3 + 9 * 4;

        var cases = PortSharingPlan.Full(OsFamily.Linux).Cases().ToList();

        Assert.Equal(nativeCases + dotnetCases, cases.Count);
        Assert.Equal(nativeCases, cases.Count(c => c.Api == BindApi.Native));
    }

    [Fact]
    public void Full_AnyOs_CaseNamesAreUniqueWithinTheScenario()
    {
        foreach (var os in new[] { OsFamily.Linux, OsFamily.MacOS, OsFamily.Windows })
        {
            var names = PortSharingPlan.Full(os).Cases().Select(c => c.Name).ToList();

            Assert.Equal(names.Count, names.Distinct().Count());
        }
    }

    [Fact]
    public void Full_Windows_NativeOffersExclusiveUseAndNeverReusePort()
    {
        var cases = PortSharingPlan.Full(OsFamily.Windows).Cases().Where(c => c.Api == BindApi.Native).ToList();

        Assert.DoesNotContain(cases, c => (c.FirstOptions | c.SecondOptions).HasFlag(SocketOptionSet.ReusePort));
        Assert.Contains(cases, c => c.SecondOptions == SocketOptionSet.ExclusiveAddressUse);
    }

    [Fact]
    public void Full_Linux_NativeOffersNoneReuseAddrReusePortAndBoth()
    {
        var seconds = PortSharingPlan.Full(OsFamily.Linux).Cases().Where(c => c.Api == BindApi.Native).Select(c => c.SecondOptions).Distinct().ToList();

        Assert.Equal(
            new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress, SocketOptionSet.ReusePort, SocketOptionSet.ReuseAddress | SocketOptionSet.ReusePort },
            seconds);
    }

    [Fact]
    public void Full_DotnetPath_OffersWhatTheDotnetApiOffers()
    {
        var seconds = PortSharingPlan.Full(OsFamily.Linux).Cases().Where(c => c.Api == BindApi.Dotnet).Select(c => c.SecondOptions).Distinct().ToList();

        Assert.Equal(new[] { SocketOptionSet.None, SocketOptionSet.ReuseAddress, SocketOptionSet.ExclusiveAddressUse }, seconds);
    }

    [Fact]
    public void Full_FreePort_OneRowOfNoOptionsAtOneAddress()
    {
        var free = PortSharingPlan.Full(OsFamily.Linux).Cases().Where(c => c.Holder == PortHolder.None).ToList();

        Assert.All(free, c => Assert.Equal(SocketOptionSet.None, c.FirstOptions));
        Assert.All(free, c => Assert.Equal(AddressPair.Same, c.Addresses));
        Assert.DoesNotContain(free, c => c.Protocols.IsMixed());
    }

    [Theory]
    [InlineData(PortHolder.Udp, ProtocolPair.TcpTcp, false)]
    [InlineData(PortHolder.Listener, ProtocolPair.UdpUdp, false)]
    [InlineData(PortHolder.TimeWait, ProtocolPair.TcpUdp, false)]
    [InlineData(PortHolder.Listener, ProtocolPair.TcpUdp, true)]
    [InlineData(PortHolder.Udp, ProtocolPair.UdpTcp, true)]
    [InlineData(PortHolder.FinWait2, ProtocolPair.TcpTcp, true)]
    public void IsMeaningful_HolderProtocolMustBeTheFirstSockets_MixedPairsOnlyForSimpleHolders(PortHolder holder, ProtocolPair protocols, bool expected)
    {
        Assert.Equal(expected, PortSharingPlan.IsMeaningful(holder, protocols, AddressPair.Same));
    }

    [Fact]
    public void Cases_RestrictedOptions_IntersectedWithWhatThePathOffers()
    {
        var plan = PortSharingPlan.Full(OsFamily.Linux) with
        {
            Apis = new[] { BindApi.Dotnet },
            FirstOptions = new[] { SocketOptionSet.ReusePort, SocketOptionSet.ReuseAddress },
        };

        var firsts = plan.Cases().Where(c => c.Holder != PortHolder.None).Select(c => c.FirstOptions).Distinct().ToList();

        Assert.Equal(new[] { SocketOptionSet.ReuseAddress }, firsts);
    }

    [Fact]
    public void Cases_SameOptionsOnBoth_OnlyTheDiagonal()
    {
        var cases = PortSharingPlan.DifferentLocalAddresses(OsFamily.Linux).Cases().ToList();

        Assert.NotEmpty(cases);
        Assert.All(cases, c => Assert.Equal(c.FirstOptions, c.SecondOptions));
    }

    [Fact]
    public void Cases_ProbesOutOfRange_ClearError()
    {
        var plan = PortSharingPlan.Full(OsFamily.Linux) with { ProbesPerTarget = 0 };

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => plan.Cases().ToList());
        Assert.Contains("1 to 64", e.Message);
    }

    [Theory]
    [InlineData("A4")]
    [InlineData("D2")]
    [InlineData("F3")]
    [InlineData("D3")]
    [InlineData("D4")]
    [InlineData("D5")]
    public void ScenarioPlans_EachNamedAfterItsScenario_AndNotEmpty(string scenario)
    {
        var plan = scenario switch
        {
            "A4" => PortSharingPlan.ListenerDiesChildServes(OsFamily.Linux),
            "D2" => PortSharingPlan.BothNeedIt(OsFamily.Linux),
            "F3" => PortSharingPlan.BestPractice(OsFamily.Linux),
            "D3" => PortSharingPlan.DifferentLocalAddresses(OsFamily.Linux),
            "D4" => PortSharingPlan.MoreSpecificHijack(OsFamily.Linux),
            _ => PortSharingPlan.TcpAndUdp(OsFamily.Linux),
        };

        Assert.Equal(scenario, plan.Scenario);
        Assert.NotEmpty(plan.Cases());
    }

    [Fact]
    public void Name_NativeTimeWait_SpellsEveryDimension()
    {
        var c = new PortSharingCase(BindApi.Native, ProtocolPair.TcpTcp, PortHolder.TimeWait, AddressPair.SpecificThenWildcard,
            SocketOptionSet.ReuseAddress, SocketOptionSet.ReuseAddress | SocketOptionSet.ReusePort);

        Assert.Equal("native.tcp.time_wait.specific-then-wildcard.reuseaddr.reuseaddr+reuseport", c.Name);
        Assert.Equal("0.0.0.0", c.SecondAddress.ToString());
        Assert.True(c.SecondListens);
    }

    [Fact]
    public void HolderNames_RoundTripThroughParse()
    {
        foreach (var holder in PortHolders.All)
        {
            Assert.Equal(holder, PortHolders.Parse(holder.ToName()));
        }
        var e = Assert.Throws<ArgumentException>(() => PortHolders.Parse("zombie"));
        Assert.Contains("time_wait", e.Message);
    }

    [Fact]
    public void DotnetCalls_BothOptionsAtOnce_ClearErrorThatDotnetHasNoSuchCall()
    {
        var e = Assert.Throws<ArgumentException>(() => OptionChoices.DotnetCalls(SocketOptionSet.ReuseAddress | SocketOptionSet.ReusePort));
        Assert.Contains("ReuseAddress or ExclusiveAddressUse", e.Message);
    }
}
