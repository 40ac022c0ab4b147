using System.Net;
using System.Net.Sockets;
using AddressInUse.Child;
using AddressInUse.Native;

namespace AddressInUse.Tests.Child;

[Collection(SpecificPortCollection.Name)]
public sealed class ServerProcessTests
{
    [Fact]
    public async Task StartAsync_NativeNoOptions_ListensOnAnOsChosenPortInAnotherProcess()
    {
        await using var server = await ServerProcess.StartAsync(new ServerSpec(IPAddress.Loopback, 0, BindApi.Native, SocketOptionSet.None));

        Assert.True(server.Start.Listening);
        Assert.NotEqual(Environment.ProcessId, server.ProcessId);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, server.Start.Port));
        Assert.Equal(client.LocalEndPoint!.ToString(), await server.WaitForAcceptAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task KillAsync_RunningServer_ProcessGoneAndPortFreeOfListeners()
    {
        var server = await ServerProcess.StartAsync(new ServerSpec(IPAddress.Loopback, 0, BindApi.Native, SocketOptionSet.None));
        var pid = server.ProcessId;

        await server.KillAsync();
        await server.DisposeAsync();

        Assert.True(server.HasExited);
        Assert.DoesNotContain(System.Diagnostics.Process.GetProcesses(), p => p.Id == pid && !p.HasExited);
    }

    [Fact]
    public async Task StartAsync_PortHeldByListener_ReportsBindFailureWithErrnoAndReadback()
    {
        using var holder = NativeSocket.Create();
        Assert.True(holder.Bind(new IPEndPoint(IPAddress.Loopback, 0)).Ok);
        Assert.True(holder.Listen().Ok);

        await using var server = await ServerProcess.StartAsync(new ServerSpec(IPAddress.Loopback, holder.LocalEndPoint!.Port, BindApi.Native, SocketOptionSet.ReuseAddress));

        Assert.False(server.Start.Listening);
        Assert.Equal("bind", server.Start.Result.Step);
        Assert.EndsWith("EADDRINUSE", server.Start.Result.Error!.Name);
        Assert.Equal(1, server.Start.Readback["SO_REUSEADDR"]);
    }

    [Fact]
    public void ToArguments_Spec_ParsedBackToTheSameSpec()
    {
        var spec = new ServerSpec(IPAddress.Parse("127.0.0.2"), 4242, BindApi.Dotnet, SocketOptionSet.ReuseAddress | SocketOptionSet.ReusePort);

        var parsed = ChildServerArguments.Parse(spec.ToArguments().Skip(1).ToArray());

        Assert.Equal(spec, parsed);
    }

    [Fact]
    public async Task ChildServer_ParentClosesStdin_ExitsByItself()
    {
        // The watchdog that keeps a child from outliving a parent that was killed or interrupted.
        var info = new System.Diagnostics.ProcessStartInfo(DotnetHost.Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("exec");
        info.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        foreach (var argument in new ServerSpec(IPAddress.Loopback, 0, BindApi.Native, SocketOptionSet.None).ToArguments())
        {
            info.ArgumentList.Add(argument);
        }
        using var child = System.Diagnostics.Process.Start(info)!;
        try
        {
            Assert.Contains("\"listening\"", await child.StandardOutput.ReadLineAsync());

            child.StandardInput.Close();

            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await child.WaitForExitAsync(deadline.Token);
            Assert.Equal(0, child.ExitCode);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }
    }
}
