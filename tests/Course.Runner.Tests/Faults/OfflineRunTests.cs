using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Tests.Faults;

/// <summary>A real `course run` that draws a chart with the real browser: every process of its tree sampled for sockets to non-loopback peers.</summary>
[Collection(FaultCollection.Name)]
public sealed class OfflineRunTests : IDisposable
{
    private readonly FaultCourse _course = new();

    public void Dispose() => _course.Dispose();

    [PosixFaultFact]
    public async Task RunThatDrawsACharts_WholeProcessTree_NoSocketToANonLoopbackPeer()
    {
        var cells = _course.DefaultCells();
        cells[Array.FindIndex(cells, c => c.Id == "wait")] = NotebookCells.Code("new LineChart(\"rtt\")", "chart");
        _course.WriteChapter("01-fault", cells);

        await using var run = CourseProcess.Start(_course.Tmp, _course.RunArgs());
        var code = await run.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(code == 0, run.Output);
        Assert.True(File.Exists(Path.Combine(_course.Images, "01-fault-rtt.svg")), "the chart was not drawn, so the browser was not measured.\n" + run.Output);
        // The sampling saw the browser (runner, worker, child server and browser processes were all read every 25 ms).
        Assert.NotEmpty(run.BrowserProcesses);
        Assert.True(run.ForeignPeers.Count == 0, "sockets to peers off the machine: " + string.Join("; ", run.ForeignPeers));
    }
}
