using AddressInUse.Display;

namespace AddressInUse.Tests.Display;

public sealed class ProgressLineTests
{
    [Fact]
    public async Task Report_FromAnotherThread_ShowsEachLineBeforeReturningAndKeepsTheLatest()
    {
        var shown = new List<string>();
        var progress = new ProgressLine(shown.Add);

        // As an experiment reports from its own task: every line is shown by the time the task ends (Progress<T> would post them).
        await Task.Run(() =>
        {
            ((IProgress<string>)progress).Report("1 entry");
            ((IProgress<string>)progress).Report("2 entries");
        });

        Assert.Equal(["1 entry", "2 entries"], shown);
        Assert.Equal("2 entries", progress.Latest);
    }

    [Fact]
    public void Latest_NothingReported_IsEmpty()
    {
        Assert.Equal("", new ProgressLine(_ => { }).Latest);
    }
}
