using AddressInUse.Capture;

namespace AddressInUse.Tests.Capture;

public sealed class KernelCountersTests
{
    [Fact]
    public void Parse_SnmpAndNetstatLines_GroupDotName()
    {
        var counters = new Dictionary<string, long>();

        KernelCounters.Parse(["Tcp: RtoAlgorithm OutSegs RetransSegs", "Tcp: 1 120 3", "TcpExt: SyncookiesSent TCPTimeWaitOverflow", "TcpExt: 0 5"], counters);

        Assert.Equal(120, counters["Tcp.OutSegs"]);
        Assert.Equal(3, counters["Tcp.RetransSegs"]);
        Assert.Equal(5, counters["TcpExt.TCPTimeWaitOverflow"]);
    }

    [Fact]
    public void Parse_NamesAndValuesDoNotMatch_ClearError()
    {
        var error = Assert.Throws<FormatException>(() => KernelCounters.Parse(["Tcp: A B", "Tcp: 1"], new Dictionary<string, long>()));

        Assert.Contains("Tcp: A B", error.Message);
    }

    [Fact]
    public void Read_ThisMachine_HasTheCountersTheCaptureComparesWith()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // /proc/net/snmp is Linux's
        }

        var counters = KernelCounters.Read();

        Assert.NotNull(counters.Get("Tcp.OutSegs"));
        Assert.NotNull(counters.Get("Tcp.RetransSegs"));
        Assert.Null(counters.Get("Tcp.NoSuchCounter"));
    }
}
