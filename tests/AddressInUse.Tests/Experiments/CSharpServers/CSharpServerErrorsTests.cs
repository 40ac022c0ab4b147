using AddressInUse.Experiments.CSharpServers;

namespace AddressInUse.Tests.Experiments.CSharpServers;

public sealed class CSharpServerErrorsTests
{
    [RealPartsFact(RealPart.Python3, UnixOnly = true)]
    public async Task OrphanedChild_ParentHasExited_ChildStillHoldsTheListenerAndTheCSharpBindIsRefused()
    {
        // Three times: the child once exited with its parent, so one lucky run proved nothing.
        for (var i = 0; i < 3; i++)
        {
            var outcome = await CSharpServerErrors.OrphanedChildAsync();

            Assert.True(outcome is not null, "python3 is needed for this test (CI installs it with python3-nbformat).");
            var record = Assert.Single(outcome.Cases);
            Assert.Equal("EADDRINUSE", record.Outcome);
            Assert.Equal("LISTEN", $"{record.Details?["holder_state"]}");
            Assert.NotNull(record.Details?["holder_process"]);
        }
    }

    [Fact]
    public async Task KestrelSecondInstance_FirstServerListens_KestrelSaysFailedToBindAroundTheSocketException()
    {
        Assert.True(CSharpServerErrors.WhyNoKestrel() is null, $"{CSharpServerErrors.WhyNoKestrel()} (the .NET SDK on CI installs the ASP.NET Core runtime).");

        var outcome = await CSharpServerErrors.KestrelSecondInstanceAsync();

        Assert.NotNull(outcome);
        var record = Assert.Single(outcome.Cases);
        Assert.Equal(("I1", "aspnetcore", "EADDRINUSE"), (record.Scenario, record.Api, record.Outcome));
        Assert.StartsWith("Failed to bind to address http://127.0.0.1:", outcome.Message, StringComparison.Ordinal);
        Assert.Equal(System.Net.Sockets.SocketError.AddressAlreadyInUse, outcome.Error);
        Assert.Equal("System.IO.IOException", outcome.ExceptionChain[0].Split(':')[0]);
        Assert.StartsWith("System.Net.Sockets.SocketException", outcome.ExceptionChain[^1], StringComparison.Ordinal);
        Assert.Equal("LISTEN", $"{record.Details?["holder_state"]}");
    }

    [LinuxFact]
    public async Task KestrelSecondInstance_AfterTheRun_NoProbeProcessIsLeft()
    {
        Assert.True(CSharpServerErrors.WhyNoKestrel() is null, CSharpServerErrors.WhyNoKestrel());

        await CSharpServerErrors.KestrelSecondInstanceAsync();

        var probes = System.Diagnostics.Process.GetProcesses().Where(p =>
        {
            try
            {
                // Only this process's own children: another test project may be running chapter 11's probe right now.
                var stat = File.ReadAllText($"/proc/{p.Id}/stat");
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
                return parent == Environment.ProcessId && File.ReadAllText($"/proc/{p.Id}/cmdline").Contains("KestrelProbe.dll", StringComparison.Ordinal);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }).Select(p => p.Id).ToList();
        Assert.True(probes.Count == 0, "Kestrel probe processes left: " + string.Join(", ", probes));
    }
}
