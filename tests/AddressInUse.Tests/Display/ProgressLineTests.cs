using AddressInUse.Display;

namespace AddressInUse.Tests.Display;

public sealed class ProgressLineTests
{
    // A stand-in for the notebook's display(): every output it creates, each with the texts it was updated to.
    private sealed class Outputs
    {
        public List<List<string>> Shown { get; } = [];

        public Action<string> Display(string text)
        {
            var output = new List<string> { text };
            Shown.Add(output);
            return output.Add;
        }
    }

    [Fact]
    public async Task Report_Live_FromAnotherThread_UpdatesTheLineBeforeReturningAndKeepsTheLatest()
    {
        var outputs = new Outputs();
        var progress = new ProgressLine("starting", outputs.Display, ProgressDisplay.Live);

        // As an experiment reports from its own task: every line is shown by the time the task ends (Progress<T> would post them).
        await Task.Run(() =>
        {
            ((IProgress<string>)progress).Report("1 entry");
            ((IProgress<string>)progress).Report("2 entries");
        });

        var line = Assert.Single(outputs.Shown);
        Assert.Equal(["starting", "1 entry", "2 entries"], line);
        Assert.Equal("2 entries", progress.Latest);
    }

    [Fact]
    public void Finish_Live_TheLineSaysFinishedAndTheFinalStateGetsAnOutputOfItsOwn()
    {
        var outputs = new Outputs();
        var progress = new ProgressLine("starting", outputs.Display, ProgressDisplay.Live);
        progress.Report("2 entries");

        progress.Finish();

        // Jupyter drops the updates of the first output: the second one still shows the final state there.
        Assert.Equal(2, outputs.Shown.Count);
        Assert.Equal("finished; the last progress line:", outputs.Shown[0][^1]);
        Assert.Equal(["2 entries"], outputs.Shown[1]);
    }

    [Fact]
    public void Finish_FinalOnly_OneOutputShowingTheFinalState()
    {
        var outputs = new Outputs();
        var progress = new ProgressLine("starting", outputs.Display, ProgressDisplay.FinalOnly);
        progress.Report("1 entry");
        progress.Report("2 entries");
        Assert.Empty(outputs.Shown);

        progress.Finish();
        progress.Finish();
        progress.Report("late");

        var only = Assert.Single(outputs.Shown);
        Assert.Equal(["2 entries"], only);
        Assert.Equal("2 entries", progress.Latest);
    }

    [Fact]
    public void Latest_NothingReported_IsTheFirstText()
    {
        Assert.Equal("starting", new ProgressLine("starting", _ => _ => { }, ProgressDisplay.FinalOnly).Latest);
    }

    [Fact]
    public void ClientDisplay_InTheTestHost_IsLive()
    {
        // Only dotnet-repl saves each update as an output; the test host, like the runner's worker and the kernel tool, is no dotnet-repl.
        Assert.Equal(ProgressDisplay.Live, ProgressLine.ClientDisplay);
        Assert.Equal(ProgressDisplay.Live, new ProgressLine("starting", _ => _ => { }).Mode);
    }
}
