using System.Diagnostics;
using AddressInUse.Diagnosis;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Diagnosis;

/// <summary>diagnose against holders the course did not create: a python3 listener, an nc client, and a TIME_WAIT they leave.</summary>
[Collection(SpecificPortCollection.Name)]
public sealed class PortDiagnosisTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private readonly List<Process> _started = new();

    public void Dispose()
    {
        foreach (var p in _started)
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            p.Dispose();
        }
    }

    // A listener the course did not create: python3 prints its port, then waits until its stdin closes.
    private const string PythonListener =
        "import socket,sys\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1',0))\ns.listen()\nprint(s.getsockname()[1], flush=True)\nsys.stdin.read()\n";

    // python3 (with SO_REUSEADDR, as Python's socketserver and http.server set it) closes an accepted connection first (server side ends in TIME_WAIT), closes the listener, prints the port, and waits.
    private const string PythonTimeWait =
        "import socket,sys\nl=socket.socket()\nl.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\nl.bind(('127.0.0.1',0))\nl.listen()\nport=l.getsockname()[1]\nc=socket.create_connection(('127.0.0.1',port))\na,_=l.accept()\n" +
        "a.close()\nc.recv(1)\nc.close()\nl.close()\nprint(port, flush=True)\nsys.stdin.read()\n";

    private Process Start(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        var p = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        _started.Add(p);
        return p;
    }

    private async Task<(Process Process, int Port)> StartPythonListenerAsync()
    {
        var p = Start("python3", "-c", PythonListener);
        var line = await p.StandardOutput.ReadLineAsync().WaitAsync(Deadline);
        return (p, int.Parse(line!));
    }

    [RealPartsFact(RealPart.Python3, LinuxOnly = true)]
    public async Task Run_Python3Listener_NamesItsPidAndProcess_NoServerBinds_AdviceSaysStopIt()
    {
        var (python, port) = await StartPythonListenerAsync();

        var d = PortDiagnosis.Run(port);

        var listener = Assert.Single(d.Holders, h => h.State == "LISTEN");
        Assert.Equal($"127.0.0.1:{port}", listener.Local);
        Assert.Equal(python.Id, listener.Pid);
        Assert.StartsWith("python", listener.ProcessName);
        Assert.All(d.Trials, t => Assert.Equal("EADDRINUSE", t.Outcome));
        Assert.Contains(d.Advice, a => a.Contains("A live server listens", StringComparison.Ordinal) && a.Contains($"pid {python.Id}", StringComparison.Ordinal));
    }

    [RealPartsFact(RealPart.Python3, RealPart.Netcat, LinuxOnly = true)]
    public async Task Run_NcClientsLocalPort_NamesNcAsOwner_NativeBindRefused()
    {
        var (_, serverPort) = await StartPythonListenerAsync();
        var nc = Start("nc", "127.0.0.1", serverPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        TcpEntry? client = null;
        await Poll.UntilAsync(
            () => (client = TcpTable.Read(e => e.Remote.Port == serverPort && e.State == System.Net.NetworkInformation.TcpState.Established).FirstOrDefault()) is not null,
            Deadline, "nc to connect");

        var d = PortDiagnosis.Run(client!.Local.Port);

        var holder = Assert.Single(d.Holders);
        Assert.Equal("ESTABLISHED", holder.State);
        Assert.Equal(nc.Id, holder.Pid);
        Assert.Equal("nc", holder.ProcessName);
        Assert.Equal("EADDRINUSE", d.Trials.Single(t => t.Server == "native bind(), no options").Outcome);
        Assert.Contains(d.Advice, a => a.Contains("as their own local port", StringComparison.Ordinal));
    }

    [RealPartsFact(RealPart.Python3, LinuxOnly = true)]
    public async Task Run_TimeWaitLeftByPython_NoOwner_SoReuseAddrAndDotnetBind_NoOptionsRefused()
    {
        var python = Start("python3", "-c", PythonTimeWait);
        var port = int.Parse((await python.StandardOutput.ReadLineAsync().WaitAsync(Deadline))!);

        var d = PortDiagnosis.Run(port);

        var holder = Assert.Single(d.Holders);
        Assert.Equal("TIME_WAIT", holder.State);
        Assert.Null(holder.Pid);
        Assert.Equal("EADDRINUSE", d.Trials.Single(t => t.Server == "native bind(), no options").Outcome);
        Assert.True(d.Trials.Single(t => t.Server == "native bind(), SO_REUSEADDR").Binds);
        Assert.True(d.Trials.Single(t => t.Server.StartsWith("plain .NET", StringComparison.Ordinal)).Binds);
        Assert.Contains(d.Advice, a => a.Contains("Set SO_REUSEADDR", StringComparison.Ordinal));
    }

    [RealPartsFact(RealPart.Python3, LinuxOnly = true)]
    public async Task ExplainBindFailure_LiveListener_NamesItsPid_NeverAdvisesWaitingOrReuse()
    {
        var (python, port) = await StartPythonListenerAsync();

        var text = PortDiagnosis.ExplainBindFailure(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), reuseAddress: false, "--reuseaddr");

        Assert.Contains($"A live listener holds the port: 127.0.0.1:{port} (LISTEN) by pid {python.Id}", text);
        Assert.Contains("will not free it", text);
        Assert.DoesNotContain("start with --reuseaddr", text);
    }

    [RealPartsFact(RealPart.Python3, LinuxOnly = true)]
    public async Task ExplainBindFailure_TimeWaitOnly_NamesTheStateAndTheReuseOption()
    {
        var python = Start("python3", "-c", PythonTimeWait);
        var port = int.Parse((await python.StandardOutput.ReadLineAsync().WaitAsync(Deadline))!);

        var text = PortDiagnosis.ExplainBindFailure(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port), reuseAddress: false, "--reuseaddr");

        Assert.Contains("old connections hold the port", text);
        Assert.Contains("TIME_WAIT", text);
        Assert.Contains("start with --reuseaddr", text);
    }

    [Fact]
    public void ExplainBindFailure_NothingInTable_SaysItMayJustHaveClosed()
    {
        var text = PortDiagnosis.ExplainBindFailure(Array.Empty<PortHolder>(), reuseAddress: true);

        Assert.Contains("none shows in the TCP table", text);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    [InlineData(-1)]
    public void Run_PortOutsideRange_ClearError(int port)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => PortDiagnosis.Run(port));

        Assert.Contains("from 1 to 65535", e.Message);
    }
}
