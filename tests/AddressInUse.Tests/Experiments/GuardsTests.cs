using System.Net;
using AddressInUse.Experiments;

namespace AddressInUse.Tests.Experiments;

public sealed class GuardsTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.0.0.2")]
    [InlineData("::1")]
    public void Loopback_LoopbackAddress_Accepted(string address)
    {
        Assert.Equal(IPAddress.Parse(address), Guards.Loopback(address));
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("10.0.0.1")]
    [InlineData("192.0.2.1")]
    public void Loopback_OtherAddress_ErrorNamesTheAddressAndTheFix(string address)
    {
        var e = Assert.Throws<ArgumentException>(() => Guards.Loopback(address));
        Assert.Contains(address, e.Message);
        Assert.Contains("IPAddress.Loopback", e.Message);
    }

    [Fact]
    public void Loopback_NotAnAddress_SaysSo()
    {
        var e = Assert.Throws<ArgumentException>(() => Guards.Loopback("localhost:80"));
        Assert.Contains("is not an IP address", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65535)]
    public void Port_InRange_Returned(int port) => Assert.Equal(port, Guards.Port(port));
}
