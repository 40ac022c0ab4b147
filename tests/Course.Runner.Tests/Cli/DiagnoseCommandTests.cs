using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Course.Runner.Cli;

namespace Course.Runner.Tests.Cli;

public sealed class DiagnoseCommandTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CommandLine.RunAsync(["diagnose", .. args], new CommandContext(output, error, Directory.GetCurrentDirectory(), CancellationToken.None));
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("http")]
    [InlineData("80.5")]
    public async Task Diagnose_PortNotANumberOrOutOfRange_ExitsTwoNamingTheRange(string port)
    {
        var (code, _, error) = await RunAsync("--port", port);

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains("is not a port: use a whole number from 1 to 65535", error);
        Assert.Contains(port, error);
    }

    [Fact]
    public async Task Diagnose_NoPort_ExitsTwoSayingWhatIsNeeded()
    {
        var (code, _, error) = await RunAsync();

        Assert.Equal(CommandLine.UsageExitCode, code);
        Assert.Contains("--port", error);
    }

    [Fact]
    public async Task Diagnose_Json_ListenerOnThePort_ReportsListenAndRefusedTrials()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;

        var (code, output, _) = await RunAsync("--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");

        Assert.Equal(0, code);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(port, (int)json["port"]!);
        Assert.Contains(json["holders"]!.AsArray(), h => (string?)h!["state"] == "LISTEN");
        Assert.All(json["trials"]!.AsArray(), t => Assert.NotEqual("ok", (string?)t!["outcome"]));
    }

    [RealPartsFact(RealPart.Python3, LinuxOnly = true)]
    public async Task Diagnose_ListenerWhoseProcessNameHoldsAnEscape_PrintsItEscaped()
    {
        // A process may name itself anything (/proc/self/comm): an escape sequence in it must not reach the terminal.
        const string script = "import socket,sys\nopen('/proc/self/comm','w').write('\\x1b[31mred')\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()\n";
        var info = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        using var python = System.Diagnostics.Process.Start(info)!;
        try
        {
            var port = (await python.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)))!.Trim();

            var (code, output, _) = await RunAsync("--port", port);

            Assert.Equal(0, code);
            Assert.DoesNotContain("\u001b", output, StringComparison.Ordinal);
            Assert.Contains($"pid {python.Id} (\\x1b[31mred)", output);
        }
        finally
        {
            python.Kill();
            await python.WaitForExitAsync();
        }
    }
}
