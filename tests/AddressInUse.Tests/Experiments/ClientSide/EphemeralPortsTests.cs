using AddressInUse.Experiments.ClientSide;

namespace AddressInUse.Tests.Experiments.ClientSide;

public sealed class EphemeralPortsTests
{
    [LinuxFact]
    public async Task Run_OnLinux_ClientClosesFirst_EveryConnectionHoldsAnEphemeralPortInTimeWait()
    {
        var outcome = await EphemeralPorts.RunAsync(20);

        Assert.Equal(20, outcome.TimeWaitHeld);
        Assert.Equal("net.ipv4.ip_local_port_range", outcome.RangeSource);
        Assert.True(outcome.FractionHeld is > 0 and < 0.01, outcome.ToString());
    }

    [Fact]
    public async Task Run_MoreThanTheBound_IsRefusedBeforeAnyConnection()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => EphemeralPorts.RunAsync(EphemeralPorts.MaxConnections + 1));
    }

    [Fact]
    public void Cases_Outcome_IsOneE2RecordWithTheShareOfTheRange()
    {
        var outcome = new EphemeralPortsOutcome(100, 100, 32768, 60999, "test");

        var record = Assert.Single(outcome.Cases);

        Assert.Equal("E2", record.Scenario);
        Assert.Equal(28232, (int)record.Details!["range_size"]!);
        Assert.Equal(0.0035, (double)record.Details["fraction_held"]!);
    }
}
