using AddressInUse.Native;

namespace AddressInUse.Tests.Native;

public sealed class ConstantsAndErrnoTests
{
    [Theory]
    [InlineData(OsFamily.Linux, 98)]
    [InlineData(OsFamily.MacOS, 48)]
    [InlineData(OsFamily.Windows, 10048)]
    public void From_AddressInUseNumberOfEachOs_NamedAsTheSeedsSay(OsFamily os, int number)
    {
        var errno = Errno.From(number, os);

        Assert.EndsWith("EADDRINUSE", errno.Name);
        Assert.Equal(os == OsFamily.Windows ? "WSAEADDRINUSE" : "EADDRINUSE", errno.Name);
        Assert.Equal($"{errno.Name} ({number})", errno.ToString());
    }

    [Fact]
    public void From_UnknownNumber_GetsAnHonestPlaceholderName()
    {
        Assert.Equal("ERRNO_4242", Errno.From(4242, OsFamily.Linux).Name);
    }

    [Theory]
    [InlineData(OsFamily.Linux, "EADDRNOTAVAIL", 99)]
    [InlineData(OsFamily.MacOS, "EADDRNOTAVAIL", 49)]
    [InlineData(OsFamily.MacOS, "ECONNREFUSED", 61)]
    [InlineData(OsFamily.Windows, "WSAECONNRESET", 10054)]
    public void NumberOf_KnownName_NumberOfThatOs(OsFamily os, string name, int number)
    {
        Assert.Equal(number, Errno.NumberOf(name, os));
    }

    [Fact]
    public void Constants_EachOs_OptionsNumberedAsTheirHeaders()
    {
        Assert.Equal((1, 2, 15), (NativeConstants.Linux.SolSocket, NativeConstants.Linux.SoReuseAddr, NativeConstants.Linux.SoReusePort!.Value));
        Assert.Equal((0xffff, 4, 0x200), (NativeConstants.MacOS.SolSocket, NativeConstants.MacOS.SoReuseAddr, NativeConstants.MacOS.SoReusePort!.Value));
        Assert.Null(NativeConstants.Windows.SoReusePort);
        Assert.Equal(~4, NativeConstants.Windows.SoExclusiveAddrUse);
        Assert.Null(NativeConstants.Linux.OptionNumber(SocketOptionSet.ExclusiveAddressUse));
    }

    [Fact]
    public void OptionNames_ParseAndPrint_RoundTripInCanonicalOrder()
    {
        var set = SocketOptionNames.Parse("so_reuseport, SO_REUSEADDR");

        Assert.Equal(SocketOptionSet.ReuseAddress | SocketOptionSet.ReusePort, set);
        Assert.Equal(new[] { "SO_REUSEADDR", "SO_REUSEPORT" }, set.ToNames());
        Assert.Equal("SO_REUSEADDR + SO_REUSEPORT", set.ToLabel());
        Assert.Equal(SocketOptionSet.None, SocketOptionNames.Parse("none"));
    }

    [Fact]
    public void OptionNames_UnknownName_ErrorListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => SocketOptionNames.Parse("SO_REUSE"));
        Assert.Contains("SO_REUSE'", e.Message);
        Assert.Contains("SO_EXCLUSIVEADDRUSE", e.Message);
    }
}
