using AddressInUse.Experiments.CSharpServers;
using AddressInUse.Experiments.Production;
using AddressInUse.Observation;
using AddressInUse.Tests.Lab;

namespace AddressInUse.Tests.Experiments.Production;

/// <summary>Chapters 12 and 13 leave nothing behind: no socket on the ports they used, no child process.</summary>
/// <remarks>Alone, never beside other tests: this process's children are counted, and a parallel test's lab child would count as a leak.</remarks>
[Collection(ProductionLeakCollection.Name)]
public sealed class ProductionLeakTests
{
    [LinuxFact]
    public async Task HalfTakenLocalhost_AfterTheRun_NothingOnItsPortAndNoProbeProcess()
    {
        Assert.True(CSharpServerErrors.WhyNoKestrel() is null, CSharpServerErrors.WhyNoKestrel());

        var outcome = await HalfTakenLocalhost.RunAsync();

        Assert.Empty(TcpTable.Read(e => e.Local.Port == outcome.Port || e.Remote.Port == outcome.Port));
        Assert.Empty(ChildrenRunning("KestrelProbe.dll"));
    }

    [LabFact]
    public async Task LabExperiments_AfterTheRun_NoLabChildAndNothingOnTheHostsPorts()
    {
        var inRange = await ServerPortInRange.RunAsync();
        var restart = await RollingRestart.RunAsync(connections: 20);

        Assert.NotEmpty(restart.Runs);
        // The lab's server port lived in the lab's namespace only; the host's table never had it from this run.
        Assert.DoesNotContain(TcpTable.Read(e => e.Local.Port == inRange.ServerPort), e => e.State == System.Net.NetworkInformation.TcpState.Listen);
        // The lab's child ends when it reads the end of its stdin, just after the run returns: poll with a deadline, then check.
        await Poll.TryUntilAsync(() => ChildrenRunning(" lab ").Count == 0, TimeSpan.FromSeconds(10));
        Assert.Empty(ChildrenRunning(" lab "));
    }

    // This process's own children whose command line contains the text (another test project may run the same experiments now).
    private static List<int> ChildrenRunning(string text) => System.Diagnostics.Process.GetProcesses().Where(p =>
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{p.Id}/stat");
            var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            return parent == Environment.ProcessId && File.ReadAllText($"/proc/{p.Id}/cmdline").Replace('\0', ' ').Contains(text, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return false;
        }
    }).Select(p => p.Id).ToList();
}

/// <summary>The leak tests run one at a time, with no other test running, so the children they count are theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProductionLeakCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "production leaks";
}
