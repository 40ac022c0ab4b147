using AddressInUse.Diagnosis;
using AddressInUse.Experiments.Teardown;
using AddressInUse.Native;
using AddressInUse.Observation;

namespace AddressInUse.Tests.Experiments.Teardown;

/// <summary>C1's bind after TIME_WAIT: a port another program took meanwhile is named as the environment, never recorded as the lesson's outcome.</summary>
public sealed class TimeWaitEnvironmentTests
{
    [LinuxFact]
    public async Task ForeignHolder_ARealNetcatOnThePort_IsNamedWithItsPidAndName()
    {
        var port = ForeignProcesses.FreeLoopbackPort();
        var nc = ForeignProcesses.Start(ForeignProcesses.Netcat(), "-l", "127.0.0.1", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        try
        {
            await Poll.UntilAsync(() => TcpTable.ReadPorts([port]).Any(e => e.State == System.Net.NetworkInformation.TcpState.Listen), TimeSpan.FromSeconds(10), "nc to listen");
            using var socket = NativeSocket.Create();
            var refused = socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));

            var held = TimeWaitExperiments.ForeignHolder(refused, PortDiagnosis.ReadHolders(port));

            Assert.Equal("EADDRINUSE", refused.Error?.Name);
            Assert.Equal($"held by another program (pid {nc.Id}, nc)", held?.Replace("nc.openbsd", "nc", StringComparison.Ordinal));
        }
        finally
        {
            ForeignProcesses.Stop(nc);
        }
    }

    [Fact]
    public void ForeignHolder_ASuccessfulBindOrAnotherErrno_IsNoEnvironmentNote()
    {
        Assert.Null(TimeWaitExperiments.ForeignHolder(StepResult.Success("bind"), []));
        Assert.Null(TimeWaitExperiments.ForeignHolder(new StepResult("bind", Errno.From(13, OsFamily.Linux)), []));
        Assert.Null(TimeWaitExperiments.ForeignHolder(null, []));
        Assert.StartsWith("held by another program (a socket the TCP table does not list", TimeWaitExperiments.ForeignHolder(new StepResult("bind", Errno.From(98, OsFamily.Linux)), []));
    }

    [Fact]
    public void Cases_WithAnEnvironmentNote_RecordItAndNoBindAfterVerdict()
    {
        var outcome = new TimeWaitDurationOutcome(40000, "k", 0, 60_000, 10, new StepResult("bind", Errno.From(98, OsFamily.Linux)), null, new Timeline())
        {
            EnvironmentNote = "port 40000 was held by another program (pid 1, x) when it was bound again after its TIME_WAIT entry had gone; on the fresh port 40001 too: not measured here",
        };

        var cases = outcome.Cases.ToList();

        Assert.DoesNotContain(cases, c => c.Case == "bind-after-time-wait");
        Assert.Contains("held by another program", cases.Single().Details!["environment"]!.GetValue<string>());
        Assert.Contains("not measured here", outcome.ToHtml());
    }
}
