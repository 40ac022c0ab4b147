using System.Net;
using System.Net.Sockets;
using AddressInUse.Native;

namespace AddressInUse.Tests.Native;

[Collection(SpecificPortCollection.Name)]
public sealed class NativeSocketTests
{
    private static readonly IPEndPoint AnyLoopbackPort = new(IPAddress.Loopback, 0);

    [Fact]
    public void Bind_PortZero_OsAssignsAPortReadBackWithGetsockname()
    {
        using var socket = NativeSocket.Create();

        Assert.True(socket.Bind(AnyLoopbackPort).Ok);
        Assert.InRange(socket.LocalEndPoint!.Port, 1, 65535);
        Assert.Equal(IPAddress.Loopback, socket.LocalEndPoint.Address);
    }

    [Fact]
    public void Bind_NoOptionsOnAPortWithAListener_FailsWithTheOsAddressInUseErrno()
    {
        using var first = NativeSocket.Create();
        Assert.True(first.Bind(AnyLoopbackPort).Ok);
        Assert.True(first.Listen().Ok);
        using var second = NativeSocket.Create();

        var result = second.Bind(first.LocalEndPoint!);

        Assert.False(result.Ok);
        Assert.Equal("bind", result.Step);
        Assert.Equal(Errno.NumberOf(OperatingSystem.IsWindows() ? "WSAEADDRINUSE" : "EADDRINUSE", OsInfo.Current), result.Error!.Number);
    }

    [Fact]
    public void ReadOptions_NothingSet_AllZero()
    {
        using var socket = NativeSocket.Create();

        var values = socket.ReadOptions();

        Assert.NotEmpty(values);
        Assert.All(values, kv => Assert.Equal(0, kv.Value));
    }

    [Fact]
    public void SetOptions_ReuseAddress_ReadBackAsOneAndNothingElse()
    {
        using var socket = NativeSocket.Create();

        Assert.True(socket.SetOptions(SocketOptionSet.ReuseAddress).Ok);

        var values = socket.ReadOptions();
        Assert.Equal(1, values["SO_REUSEADDR"]);
        Assert.All(values.Where(kv => kv.Key != "SO_REUSEADDR"), kv => Assert.Equal(0, kv.Value));
    }

    [UnixFact]
    public void SetOptions_ReusePortOnUnix_ReadBackAsOne()
    {
        using var socket = NativeSocket.Create(AddressFamily.InterNetwork, ProtocolType.Udp);

        Assert.True(socket.SetOptions(SocketOptionSet.ReusePort).Ok);

        Assert.Equal(1, socket.ReadOptions()["SO_REUSEPORT"]);
        Assert.Equal(0, socket.ReadOptions()["SO_REUSEADDR"]);
    }

    [UnixFact]
    public void SetOptions_ExclusiveAddressUseOnUnix_ClearErrorThatTheOsLacksIt()
    {
        using var socket = NativeSocket.Create();

        var e = Assert.Throws<PlatformNotSupportedException>(() => socket.SetOptions(SocketOptionSet.ExclusiveAddressUse));
        Assert.Contains("SO_EXCLUSIVEADDRUSE does not exist", e.Message);
    }

    [UnixFact]
    public void DotnetBind_OnUnix_SetsReuseAddressThatNativeBindDoesNot()
    {
        // G1: the reason a naive C# port of the seeds' server never sees EADDRINUSE on Linux and macOS.
        using var dotnet = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Equal(0, SocketOptionReader.Read(dotnet)["SO_REUSEADDR"]);
        dotnet.Bind(AnyLoopbackPort);
        using var native = NativeSocket.Create();
        Assert.True(native.Bind(AnyLoopbackPort).Ok);

        Assert.Equal(1, SocketOptionReader.Read(dotnet)["SO_REUSEADDR"]);
        Assert.Equal(0, native.ReadOptions()["SO_REUSEADDR"]);
    }

    [Fact]
    public void ToSocket_AfterListen_DotnetSocketAcceptsAConnection()
    {
        using var native = NativeSocket.Create();
        Assert.True(native.Bind(AnyLoopbackPort).Ok);
        Assert.True(native.Listen().Ok);
        var endPoint = native.LocalEndPoint!;
        using var listener = native.ToSocket();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

        client.Connect(endPoint);
        using var accepted = listener.Accept();

        Assert.Equal(client.LocalEndPoint, accepted.RemoteEndPoint);
        Assert.True(native.IsClosed);
    }

    [Fact]
    public void Dispose_Twice_NoErrorAndLaterCallsReportDisposed()
    {
        var socket = NativeSocket.Create();
        socket.Dispose();
        socket.Dispose();

        Assert.Throws<ObjectDisposedException>(() => socket.Bind(AnyLoopbackPort));
    }
}
