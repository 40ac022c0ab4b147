using AddressInUse.Capture;
using AddressInUse.Experiments.Packets;

namespace AddressInUse.Tests.Experiments.Packets;

/// <summary>The capture, the nft rule and the injector refuse to run outside the lab's own namespace (this test process is outside).</summary>
public sealed class LabToolsTests
{
    [Fact]
    public void DropOnce_OutsideTheLab_Refuses()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DropOnce.BareAck(1, 2, 52));

        Assert.Contains("lab's child", error.Message);
    }

    [Fact]
    public void RawInjector_OutsideTheLab_Refuses()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RawInjector.Reset(1, 2, 3));

        Assert.Contains("lab's child", error.Message);
    }

    [Fact]
    public void CaptureSession_OutsideTheLab_Refuses()
    {
        var error = Assert.Throws<InvalidOperationException>(() => CaptureSession.Start());

        Assert.Contains("lab's child", error.Message);
    }
}
