using System.Net;
using AddressInUse.Native;

namespace AddressInUse.Tests.Native;

public sealed class SockaddrTests
{
    [Fact]
    public void Encode_LinuxIPv4_FamilyFirstAsShortThenPortBigEndian()
    {
        var bytes = Sockaddr.Encode(new IPEndPoint(IPAddress.Parse("127.0.0.1"), 0x1F90), NativeConstants.Linux);

        Assert.Equal(new byte[] { 2, 0, 0x1F, 0x90, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 }, bytes);
    }

    [Fact]
    public void Encode_MacOSIPv4_LengthByteThenFamilyByte()
    {
        var bytes = Sockaddr.Encode(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 80), NativeConstants.MacOS);

        Assert.Equal(new byte[] { 16, 2, 0, 80, 127, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0 }, bytes);
    }

    [Fact]
    public void Encode_MacOSIPv6_Length28AndFamily30()
    {
        var bytes = Sockaddr.Encode(new IPEndPoint(IPAddress.IPv6Loopback, 443), NativeConstants.MacOS);

        Assert.Equal(28, bytes.Length);
        Assert.Equal(28, bytes[0]);
        Assert.Equal(30, bytes[1]);
        Assert.Equal(1, bytes[8 + 15]);
    }

    [Theory]
    [InlineData("127.0.0.1", 5000)]
    [InlineData("::1", 65535)]
    [InlineData("0.0.0.0", 1)]
    public void Decode_WhatEncodeWrote_SameEndpointOnEveryLayout(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        foreach (var os in new[] { NativeConstants.Linux, NativeConstants.MacOS, NativeConstants.Windows })
        {
            Assert.Equal(endPoint, Sockaddr.Decode(Sockaddr.Encode(endPoint, os), os));
        }
    }

    [Fact]
    public void Decode_UnknownFamily_ThrowsNamingIt()
    {
        var bytes = new byte[16];
        bytes[0] = 99;
        var e = Assert.Throws<ArgumentException>(() => Sockaddr.Decode(bytes, NativeConstants.Linux));
        Assert.Contains("99", e.Message);
    }
}
