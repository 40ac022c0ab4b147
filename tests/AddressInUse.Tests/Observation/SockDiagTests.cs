using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Observation;

public sealed class SockDiagTests
{
    // Captured with a raw NETLINK_SOCK_DIAG dump on Linux 6.18 (AF_INET): a listener on 127.0.0.1:55401, the accepted
    // end with 5 unread bytes ("hello") and the client end 127.0.0.1:48424, then NLMSG_DONE. Each message carries
    // the kernel's default attributes after the 72-byte inet_diag_msg, which the parser must step over.
    private const string CapturedIPv4 =
        "7c0000001400020007000000dc300000020a0000d86900007f000001000000000000000000000000000000000000000000000000000000000000000003000000000000000000000000000000800000000000000018b00000050008000000000008000f00000000000c001500010000000000000006001600520000007c0000001400020007000000dc30000002010000d869bd287f0000010000000000000000000000007f000001000000000000000000000000000000000400000000000000000000000500000000000000000000001ab00000050008000000000008000f00000000000c001500010000000000000006001600520000007c0000001400020007000000dc30000002010000bd28d8697f0000010000000000000000000000007f0000010000000000000000000000000000000005000000000000000000000000000000000000000000000019b00000050008000000000008000f00000000000c00150001000000000000000600160052000000140000000300020007000000dc30000000000000";

    // The same capture for AF_INET6: a listener on [::1]:55401, then NLMSG_DONE.
    private const string CapturedIPv6 =
        "840000001400020007000000dc3000000a0a0000d86900000000000000000000000000000000000100000000000000000000000000000000000000000600000000000000000000000000000080000000000000001bb00000050008000000000005000b000100000008000f00000000000c00150001000000000000000600160012000000140000000300020007000000dc30000000000000";

    [Fact]
    public void ParseMessages_CapturedIPv4Dump_ListenerAndBothEndsWithTheUnreadBytes()
    {
        var entries = new List<TcpEntry>();

        var status = SockDiag.ParseMessages(Convert.FromHexString(CapturedIPv4), entries);

        Assert.Equal(SockDiag.DumpStatus.Done, status);
        Assert.Equal(3, entries.Count);
        Assert.Equal(new TcpEntry(new IPEndPoint(IPAddress.Loopback, 55401), new IPEndPoint(IPAddress.Any, 0), TcpState.Listen), entries[0]);
        var server = entries[1];
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 55401), server.Local);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 48424), server.Remote);
        Assert.Equal(TcpState.Established, server.State);
        Assert.Equal(5, server.ReceiveQueue);
        Assert.Equal(0, entries[2].ReceiveQueue);
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 48424), entries[2].Local);
    }

    [Fact]
    public void ParseMessages_CapturedIPv6Dump_LoopbackListener()
    {
        var entries = new List<TcpEntry>();

        var status = SockDiag.ParseMessages(Convert.FromHexString(CapturedIPv6), entries);

        Assert.Equal(SockDiag.DumpStatus.Done, status);
        var listener = Assert.Single(entries);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 55401), listener.Local);
        Assert.Equal("LISTEN", listener.StateName);
        Assert.Null(listener.ReceiveQueue);
    }

    [Fact]
    public void ParseMessages_FirstDatagramWithoutDone_MoreToCome()
    {
        var bytes = Convert.FromHexString(CapturedIPv4);
        var entries = new List<TcpEntry>();

        // The first message alone, as when a dump spans several datagrams.
        Assert.Equal(SockDiag.DumpStatus.More, SockDiag.ParseMessages(bytes.AsSpan(0, 0x7c), entries));
        Assert.Single(entries);
    }

    [Fact]
    public void ParseMessages_NetlinkError_Error()
    {
        var error = new byte[36];
        BinaryPrimitives.WriteUInt32LittleEndian(error, 36);
        BinaryPrimitives.WriteUInt16LittleEndian(error.AsSpan(4), 2);
        BinaryPrimitives.WriteInt32LittleEndian(error.AsSpan(16), -2);

        Assert.Equal(SockDiag.DumpStatus.Error, SockDiag.ParseMessages(error, new List<TcpEntry>()));
    }

    [Fact]
    public void ParseMessages_TruncatedMessage_ErrorNotAnException()
    {
        var bytes = Convert.FromHexString(CapturedIPv4);

        Assert.Equal(SockDiag.DumpStatus.Error, SockDiag.ParseMessages(bytes.AsSpan(0, 100), new List<TcpEntry>()));
    }

    [Fact]
    public void BuildRequest_TwoPorts_HeaderStatesAndBytecodeAttribute()
    {
        var request = SockDiag.BuildRequest(SockDiag.AfInet6, new[] { 5000, 6000 }, 42);
        var span = request.AsSpan();

        Assert.Equal((uint)request.Length, BinaryPrimitives.ReadUInt32LittleEndian(span));
        Assert.Equal(20, BinaryPrimitives.ReadUInt16LittleEndian(span[4..]));
        Assert.Equal(0x301, BinaryPrimitives.ReadUInt16LittleEndian(span[6..]));
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32LittleEndian(span[8..]));
        Assert.Equal(10, request[16]);
        Assert.Equal(6, request[17]);
        Assert.Equal(SockDiag.AllStates, BinaryPrimitives.ReadUInt32LittleEndian(span[20..]));
        Assert.Equal(request.Length - 72, BinaryPrimitives.ReadUInt16LittleEndian(span[72..]));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(span[74..]));
    }

    [Theory]
    [InlineData(5000, 1234, true)]
    [InlineData(1234, 5000, true)]
    [InlineData(6000, 6000, true)]
    [InlineData(1234, 4321, false)]
    [InlineData(5001, 4999, false)]
    public void PortFilter_RunAsTheKernelRunsIt_AcceptsOnlyRowsWithOneOfThePorts(int sport, int dport, bool accepted)
    {
        var program = SockDiag.PortFilter(new[] { 5000, 6000 });

        Assert.True(Audit(program), "the kernel's inet_diag_bc_audit rules reject this bytecode");
        Assert.Equal(accepted, Run(program, sport, dport));
    }

    [LinuxFact]
    public void TryRead_RealConnection_SameRowsAsProcNetTcp()
    {
        using var connection = new LoopbackConnectionPair();

        var netlink = SockDiag.TryRead(new[] { connection.Port });
        var proc = TcpTable.ReadFrom(TcpTableSource.Proc, null, new[] { connection.Port });

        Assert.NotNull(netlink);
        Assert.Equal(3, netlink.Count);
        Assert.Equal(proc.Select(e => e.ToString()).Order(), netlink.Select(e => e.ToString()).Order());
        Assert.Contains(netlink, e => e.State == TcpState.Established && e.Local.Port == connection.Port && e.ReceiveQueue == 3);
    }

    [LinuxFact]
    public void Read_OnLinux_ComesFromSockDiag()
    {
        using var connection = new LoopbackConnectionPair();

        var entries = TcpTable.ReadPorts(new[] { connection.Port });

        Assert.Equal("sock_diag", TcpTable.LastSource);
        Assert.Equal(3, entries.Count);
    }

    // The kernel's inet_diag_bc_run (net/ipv4/inet_diag.c) for the opcodes the filter uses.
    private static bool Run(byte[] program, int sport, int dport)
    {
        var position = 0;
        var length = program.Length;
        while (length > 0)
        {
            var code = program[position];
            var yes = program[position + 1];
            var no = BinaryPrimitives.ReadUInt16LittleEndian(program.AsSpan(position + 2));
            var condition = code switch
            {
                1 => false,
                7 => BinaryPrimitives.ReadInt32LittleEndian(program.AsSpan(position + 8)) == sport,
                8 => BinaryPrimitives.ReadInt32LittleEndian(program.AsSpan(position + 8)) == dport,
                _ => throw new InvalidOperationException($"opcode {code}"),
            };
            var step = condition ? yes : no;
            position += step;
            length -= step;
        }
        return length == 0;
    }

    // The kernel's inet_diag_bc_audit and valid_cc: every jump lands on an op reachable along the "yes" chain, or just past the end.
    private static bool Audit(byte[] program)
    {
        var position = 0;
        var length = program.Length;
        while (length > 0)
        {
            var code = program[position];
            var yes = program[position + 1];
            var no = BinaryPrimitives.ReadUInt16LittleEndian(program.AsSpan(position + 2));
            var minimum = code is 7 or 8 ? 12 : 4;
            if (no < minimum || no > length + 4 || (no & 3) != 0 || (no < length && !OnYesChain(program, length - no)))
            {
                return false;
            }
            if (yes < minimum || yes > length + 4 || (yes & 3) != 0)
            {
                return false;
            }
            position += yes;
            length -= yes;
        }
        return length == 0;
    }

    private static bool OnYesChain(byte[] program, int remaining)
    {
        var position = 0;
        var length = program.Length;
        while (length >= 0)
        {
            if (remaining > length)
            {
                return false;
            }
            if (remaining == length)
            {
                return true;
            }
            var yes = program[position + 1];
            if (yes < 4 || (yes & 3) != 0)
            {
                return false;
            }
            position += yes;
            length -= yes;
        }
        return false;
    }

    /// <summary>A listener, a client, the accepted end, and 3 bytes the accepted end has not read.</summary>
    private sealed class LoopbackConnectionPair : IDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Socket _client = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly Socket _accepted;

        public LoopbackConnectionPair()
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen();
            Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
            _client.Connect(_listener.LocalEndPoint!);
            _accepted = _listener.Accept();
            _client.Send(new byte[3]);
            Poll.UntilAsync(() => _accepted.Available == 3, TimeSpan.FromSeconds(5), "the 3 bytes to arrive").GetAwaiter().GetResult();
        }

        public int Port { get; }

        public void Dispose()
        {
            _client.Dispose();
            _accepted.Dispose();
            _listener.Dispose();
        }
    }
}

public sealed class TcpInfoTests
{
    [LinuxFact]
    public void TryGetState_ConnectedThenShutDown_EstablishedThenFinWait()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var accepted = listener.Accept();

        Assert.Equal(TcpState.Listen, TcpInfo.TryGetState(listener));
        Assert.Equal(TcpState.Established, TcpInfo.TryGetState(client));
        client.Shutdown(SocketShutdown.Send);
        Poll.UntilAsync(() => TcpInfo.TryGetState(client) == TcpState.FinWait2, TimeSpan.FromSeconds(5), "the client to reach FIN_WAIT_2").GetAwaiter().GetResult();
        Assert.Equal(TcpState.CloseWait, TcpInfo.TryGetState(accepted));
    }

    [LinuxFact]
    public void Track_OwnSocket_SampleCarriesItsExactState()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        using var accepted = listener.Accept();
        var sampler = TcpSampler.ForPorts(new Timeline(), new[] { port }, TimeSpan.FromMilliseconds(50));
        try
        {
            sampler.Track(client);
            var sample = sampler.SampleNow();

            Assert.Contains(sample.Entries, e => e.Local.Equals(client.LocalEndPoint) && e.State == TcpState.Established);
        }
        finally
        {
            sampler.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }
}
