using AddressInUse.Experiments.ClientSide;

namespace AddressInUse.Tests.Experiments.ClientSide;

// Rebinds a fixed port or churns many ephemeral ports; kept apart from tests that rebind a specific port.
[Collection(SpecificPortCollection.Name)]
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

public sealed class EphemeralRangeParsingTests
{
    [Fact]
    public void ParseRange_LinuxSetting_ReadsBothEnds()
    {
        Assert.Equal((32768, 60999, "net.ipv4.ip_local_port_range"),
            EphemeralPorts.ParseRange(new Dictionary<string, string?> { ["net.ipv4.ip_local_port_range"] = "32768 60999" }, AddressInUse.Native.OsFamily.Linux));
    }

    [Fact]
    public void ParseRange_MacosSysctls_ReadsFirstAndLast()
    {
        var settings = new Dictionary<string, string?> { ["net.inet.ip.portrange.first"] = "49152", ["net.inet.ip.portrange.last"] = "65535" };

        Assert.Equal((49152, 65535, "net.inet.ip.portrange.first/last"), EphemeralPorts.ParseRange(settings, AddressInUse.Native.OsFamily.MacOS));
    }

    [Fact]
    public void ParseRange_WindowsWithoutSettings_SaysTheDefaultWasNotRead()
    {
        var (first, last, source) = EphemeralPorts.ParseRange(new Dictionary<string, string?>(), AddressInUse.Native.OsFamily.Windows);

        Assert.Equal((49152, 65535), (first, last));
        Assert.Contains("not read from this machine", source);
    }

    [Fact]
    public void ParseRange_UnreadableLinuxSetting_ReportsUnknown()
    {
        var range = EphemeralPorts.ParseRange(new Dictionary<string, string?> { ["net.ipv4.ip_local_port_range"] = null }, AddressInUse.Native.OsFamily.Linux);

        Assert.Null(range.First);
        Assert.Equal("not readable on this OS", range.Source);
    }
}
