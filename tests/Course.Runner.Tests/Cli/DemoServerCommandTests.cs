using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Course.Runner.Cli;

namespace Course.Runner.Tests.Cli;

public sealed class DemoServerCommandTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DemoServer_RealClientSendsThenCloses_PrintsEchoesAndStopsCleanlyOnCancel()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var server = CommandLine.RunAsync(["demo-server", "--port", "0"], new CommandContext(output, error, ".", stop.Token), [new DemoServerCommand()]);
        try
        {
            var port = await WaitForPortAsync(() => output.ToString(), server);
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                var stream = client.GetStream();
                await stream.WriteAsync(Encoding.UTF8.GetBytes("hello\n"));
                var echo = new byte[6];
                await stream.ReadExactlyAsync(echo);
                Assert.Equal("hello\n", Encoding.UTF8.GetString(echo));
            }

            await WaitForAsync(() => output.ToString().Contains("client closed (EOF)"), "the server saw the client's EOF");
            Assert.Contains("received 6 bytes: hello", output.ToString());
        }
        finally
        {
            stop.Cancel();
        }

        Assert.Equal(0, await server.WaitAsync(Deadline));
        Assert.EndsWith("stopped" + Environment.NewLine, output.ToString());
    }

    [Fact]
    public async Task DemoServer_NonLoopbackAddress_IsRefusedWithUsageExitCode()
    {
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["demo-server", "--port", "0", "--address", "0.0.0.0"], new CommandContext(new StringWriter(), error, ".", CancellationToken.None), [new DemoServerCommand()]);

        Assert.Equal(2, code);
        Assert.Contains("not a loopback address", error.ToString());
    }

    [Fact]
    public async Task DemoServer_PortHeldByAListener_ReportsTheErrnoAndReturnsOne()
    {
        using var holder = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        holder.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        holder.Listen();
        var port = ((IPEndPoint)holder.LocalEndPoint!).Port;
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["demo-server", "--port", port.ToString()], new CommandContext(new StringWriter(), error, ".", CancellationToken.None), [new DemoServerCommand()]);

        Assert.Equal(1, code);
        Assert.Contains("EADDRINUSE", error.ToString());
        // A live listener is another server: advice to wait for TIME_WAIT or add --reuseaddr would send the instructor the wrong way.
        Assert.Contains($"A live listener holds the port: 127.0.0.1:{port} (LISTEN)", error.ToString());
        Assert.DoesNotContain("wait until", error.ToString());
        Assert.DoesNotContain("start with --reuseaddr", error.ToString());
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains($"pid {Environment.ProcessId} (", error.ToString());
        }
    }

    [Fact]
    public async Task DemoServer_ClientSendsTerminalEscapes_PrintsThemEscaped()
    {
        var output = new StringWriter();
        using var stop = new CancellationTokenSource();
        var server = CommandLine.RunAsync(["demo-server", "--port", "0"], new CommandContext(TextWriter.Synchronized(output), new StringWriter(), ".", stop.Token), [new DemoServerCommand()]);
        try
        {
            var port = await WaitForPortAsync(() => output.ToString(), server);
            using (var client = new TcpClient())
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                await client.GetStream().WriteAsync(Encoding.UTF8.GetBytes("\u001b]0;owned\u0007\u001b[2Jhi\u202e\r\n"));
                await client.GetStream().ReadExactlyAsync(new byte[4]);
            }

            await WaitForAsync(() => output.ToString().Contains("client closed (EOF)"), "the server saw the client's EOF");
        }
        finally
        {
            stop.Cancel();
        }

        await server.WaitAsync(Deadline);
        var text = output.ToString();
        Assert.Contains(@"received 21 bytes: \x1b]0;owned\x07\x1b[2Jhi\u202e", text);
        Assert.DoesNotContain('\u001b', text);
        Assert.DoesNotContain('\u0007', text);
        Assert.DoesNotContain('\u202e', text);
    }

    [Theory]
    [InlineData(" 80")]
    [InlineData("+5")]
    [InlineData("-1")]
    [InlineData("65536")]
    public async Task DemoServer_PortNotPlainDigits_IsRefusedWithUsageExitCode(string port)
    {
        var error = new StringWriter();

        var code = await CommandLine.RunAsync(["demo-server", "--port", port], new CommandContext(new StringWriter(), error, ".", CancellationToken.None), [new DemoServerCommand()]);

        Assert.Equal(2, code);
        Assert.Contains($"--port {CliValues.Quote(port)} is not a port", error.ToString());
    }

    [Fact]
    public async Task DemoServerProcess_ClientConnectedThenSigint_ExitsZeroAndFreesThePort()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // SIGINT cannot be sent to another console process from here; the in-process test covers the shutdown path.
        }

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "course.dll"), "demo-server", "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var lines = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (lines) { lines.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        try
        {
            var port = await WaitForPortAsync(() => { lock (lines) { return lines.ToString(); } }, null);
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            await WaitForAsync(() => { lock (lines) { return lines.ToString().Contains(": connected"); } }, "the server accepted");

            InheritedSignals.AssertSigintNotIgnored();
            using (var kill = Process.Start("kill", ["-INT", process.Id.ToString()]))
            {
                await kill.WaitForExitAsync();
            }

            await process.WaitForExitAsync().WaitAsync(Deadline);
            Assert.Equal(0, process.ExitCode);
            var read = await client.GetStream().ReadAsync(new byte[1]);
            Assert.Equal(0, read); // the server closed the connection it had open
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            var refused = await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(IPAddress.Loopback, port));
            Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
    }

    private static async Task<int> WaitForPortAsync(Func<string> text, Task? server)
    {
        Match? match = null;
        await WaitForAsync(() =>
        {
            if (server is { IsCompleted: true })
            {
                throw new InvalidOperationException("demo-server ended before listening: " + text());
            }

            match = Regex.Match(text(), Regex.Escape(DemoServerCommand.ListeningMarker) + @"127\.0\.0\.1:(\d+)");
            return match.Success;
        }, "the server printed its port");
        return int.Parse(match!.Groups[1].Value);
    }

    private static Task WaitForAsync(Func<bool> condition, string what) =>
        AddressInUse.Observation.Poll.UntilAsync(condition, Deadline, what);
}
