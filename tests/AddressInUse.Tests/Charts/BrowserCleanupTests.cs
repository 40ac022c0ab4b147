using AddressInUse.Charts;

namespace AddressInUse.Tests.Charts;

/// <summary>No browser process or temporary folder outlives a run, whether it succeeds, is cancelled or times out.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class BrowserCleanupTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Figure Figure()
    {
        var figure = new Figure("cleanup");
        figure.Data.Add(Traces.Bars("n", ["a"], [1]));
        return figure;
    }

    [BrowserFact]
    public async Task ExportAsync_Completed_LeavesNoBrowserProcessOrTempFolder()
    {
        using var processes = new BrowserProcesses();

        await SvgExport.ExportAsync([Figure()], _folder.Path);

        processes.AssertNothingLeftBehind();
    }

    [BrowserFact]
    public async Task ExportAsync_CancelledRightAfterLaunch_ThrowsAndLeavesNothing()
    {
        using var cancel = new CancellationTokenSource();
        using var processes = new BrowserProcesses(_ => cancel.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SvgExport.ExportAsync([Figure()], _folder.Path, cancel.Token));

        processes.AssertNothingLeftBehind();
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder.Path));
    }

    [BrowserFact]
    public async Task DumpDomAsync_PageThatNeverFinishes_TimesOutAndLeavesNothing()
    {
        var page = Path.Combine(_folder.Path, "busy.html");
        File.WriteAllText(page, "<!DOCTYPE html><html><body><script>while (true) {}</script></body></html>");
        using var processes = new BrowserProcesses();

        var error = await Assert.ThrowsAsync<BrowserRunException>(
            () => ChromiumBrowser.DumpDomAsync(page, TimeSpan.FromSeconds(1), timeout: TimeSpan.FromSeconds(3)));

        Assert.Contains("did not finish", error.Message);
        processes.AssertNothingLeftBehind();
    }
}
