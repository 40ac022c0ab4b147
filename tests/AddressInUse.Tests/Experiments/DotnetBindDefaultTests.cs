using AddressInUse.Experiments;

namespace AddressInUse.Tests.Experiments;

public sealed class DotnetBindDefaultTests
{
    [UnixFact]
    public void Measure_OnUnix_DotnetBindTurnsReuseAddressOnAndNativeBindDoesNot()
    {
        var outcome = DotnetBindDefault.Measure();

        Assert.True(outcome.DotnetBindSetsReuseAddress, outcome.ToString());
        Assert.Equal(0, outcome.NativeAfter["SO_REUSEADDR"]);
        Assert.Equal(0, outcome.DotnetAfter["SO_REUSEPORT"]);
        Assert.Contains("Socket.Bind", outcome.ToHtml());
    }
}
