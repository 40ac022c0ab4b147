using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Observation;

public sealed class TcpTableTests
{
    [Fact]
    public void ParseProcLine_Listener_LoopbackAddressPortAndState()
    {
        var entry = TcpTable.ParseProcLine("   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 12345 1 0000000000000000 100 0 0 10 0");

        Assert.NotNull(entry);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 8080), entry.Local);
        Assert.Equal(TcpState.Listen, entry.State);
        Assert.Null(entry.ReceiveQueue);
    }

    [Fact]
    public void ParseProcLine_CloseWaitWithUnreadBytes_ReportsTheReceiveQueue()
    {
        var entry = TcpTable.ParseProcLine("   3: 0100007F:A000 0200007F:1F90 08 00000000:0000001C 00:00000000 00000000  1000        0 0 1 0000000000000000 20 4 30 10 -1");

        Assert.NotNull(entry);
        Assert.Equal("CLOSE_WAIT", entry.StateName);
        Assert.Equal(28, entry.ReceiveQueue);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 8080), entry.Remote);
    }

    [Fact]
    public void ParseProcLine_IPv6MappedIPv4_NormalizedToIPv4()
    {
        var entry = TcpTable.ParseProcLine("   1: 0000000000000000FFFF00000100007F:9C40 0000000000000000FFFF00000100007F:1F90 06 00000000:00000000 03:00000F9B 00000000     0        0 0 3 0000000000000000");

        Assert.NotNull(entry);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 40000), entry.Local);
        Assert.Equal("TIME_WAIT", entry.StateName);
    }

    [Fact]
    public void ParseProcLine_Header_Null()
    {
        Assert.Null(TcpTable.ParseProcLine("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"));
    }

    [Fact]
    public void Read_RealConnectionOnLoopback_BothEndsEstablishedAndTheListener()
    {
        using var connection = new LoopbackPair();
        var (port, client) = (connection.Port, connection.Client);

        var entries = TcpTable.ReadPorts(new[] { port });

        Assert.Contains(entries, e => e.State == TcpState.Listen && e.Local.Port == port);
        Assert.Contains(entries, e => e.State == TcpState.Established && e.Local.Port == port && e.Remote.Equals(client.LocalEndPoint));
        Assert.Contains(entries, e => e.State == TcpState.Established && e.Local.Equals(client.LocalEndPoint) && e.Remote.Port == port);
    }

    [Theory]
    [InlineData(8080, true)]
    [InlineData(40960, true)]
    [InlineData(16, false)]
    [InlineData(0, false)]
    public void HasPort_ProcLine_MatchesOnlyTheLocalOrRemotePort(int port, bool expected)
    {
        const string line = "   3: 0100007F:A000 0200007F:1F90 08 00000000:0000001C 00:00000000 00000000  1000        0 0 1 0000000000000000 20 4 30 10 -1";

        Assert.Equal(expected, TcpTable.HasPort(line, new HashSet<int> { port }));
    }

    [Fact]
    public void ReadPorts_PortPrefilter_SameRowsAsTheFullRead()
    {
        using var connection = new LoopbackPair();
        var (port, client) = (connection.Port, connection.Client);

        var fast = TcpTable.ReadPorts(new[] { port }).Select(e => e.ToString()).Order().ToList();
        var full = TcpTable.Read(e => e.Local.Port == port || e.Remote.Port == port).Select(e => e.ToString()).Order().ToList();

        Assert.Equal(3, fast.Count);
        Assert.Equal(full, fast);
    }

    /// <summary>A listener on a port the OS picked, a client connected to it, and the accepted end: one real connection.</summary>
    private sealed class LoopbackPair : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Socket _accepted;

        public LoopbackPair()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            Client.Connect(_listener.LocalEndPoint!);
            _accepted = _listener.Accept();
        }

        public int Port { get; }

        public Socket Client { get; } = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        public void Dispose()
        {
            Client.Dispose();
            _accepted.Dispose();
            _listener.Dispose();
        }
    }
}
