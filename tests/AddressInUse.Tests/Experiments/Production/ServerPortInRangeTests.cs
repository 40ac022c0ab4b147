using AddressInUse.Experiments.Production;
using AddressInUse.Lab;
using AddressInUse.Tests.Lab;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class ServerPortInRangeTests
{
    [LabFact]
    public async Task RunAsync_ClientFillsTheRange_ServerRefusedWithNothingListeningUntilThePortIsReserved()
    {
        var hostReserved = LabSettings.Read("net.ipv4.ip_local_reserved_ports");

        var outcome = await ServerPortInRange.RunAsync();

        var open = outcome.Rounds.Single(r => !r.Reserved);
        Assert.True(open.TookServerPort);
        Assert.Equal(0, open.Listeners);
        Assert.Equal(ServerPortInRange.RangePorts, open.Connected);
        Assert.Contains(open.Advice, a => a.Contains("ip_local_reserved_ports", StringComparison.Ordinal));
        Assert.All(outcome.Starts.Where(s => !s.Reserved), s => Assert.Equal(("bind", "EADDRINUSE"), (s.Step, s.Outcome)));
        var reserved = outcome.Rounds.Single(r => r.Reserved);
        Assert.False(reserved.TookServerPort);
        Assert.Equal(ServerPortInRange.RangePorts - 1, reserved.Connected);
        Assert.Equal("EADDRNOTAVAIL", reserved.Failure);
        Assert.All(outcome.Starts.Where(s => s.Reserved), s => Assert.Equal("ok", s.Outcome));
        Assert.Equal(6, outcome.Cases.Count());
        Assert.Equal(hostReserved, LabSettings.Read("net.ipv4.ip_local_reserved_ports"));
    }
}
