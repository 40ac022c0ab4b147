using AddressInUse.Experiments.Production;
using Xunit.Abstractions;

namespace AddressInUse.Tests.Experiments.Production;

public sealed class HalfTakenLocalhostTests(ITestOutputHelper output)
{
    [LinuxFact]
    public async Task RunAsync_V6LoopbackHeld_ServerBindsV4AndIsRefusedOnV6AndTheClientReachesTheFirstResolved()
    {
        var outcome = await HalfTakenLocalhost.RunAsync();
        output.WriteLine(outcome.ToString());
        Assert.Null(outcome.Unavailable);

        Assert.Equal("ok", outcome.V4!.Outcome);
        Assert.Equal(("bind", "EADDRINUSE"), (outcome.V6!.Step, outcome.V6.Outcome));
        Assert.NotNull(outcome.ClientReached);
        Assert.Equal(outcome.ResolverOrder[0] == "::1", outcome.ClientReached!.Contains("other", StringComparison.Ordinal));
        // Kestrel's ListenLocalhost binds both loopback addresses; one family held is enough to stop it.
        Assert.False(outcome.KestrelStarted);
        Assert.Equal("AddressAlreadyInUse", outcome.KestrelSocketError);
    }
}
