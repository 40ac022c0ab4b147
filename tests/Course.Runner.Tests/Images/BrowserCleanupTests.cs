using System.Diagnostics;
using AddressInUse.Charts;
using Course.Runner.Images;

namespace Course.Runner.Tests.Images;

/// <summary>No browser process or work folder outlives a run, whether it succeeds, is cancelled, times out or the runner is killed.</summary>
[Collection(ChromiumCollection.Name)]
public sealed class BrowserCleanupTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static (string, string) Figure()
    {
        var figure = new Figure("cleanup");
        figure.Data.Add(Traces.Bars("n", ["a"], [1]));
        return (figure.Name, figure.ToJson());
    }

    [BrowserFact]
    public async Task ExportOnceAsync_Completed_LeavesNoBrowserProcessOrWorkFolder()
    {
        using var processes = new BrowserProcesses();

        await SvgExport.ExportOnceAsync([Figure()], _folder.Path);

        processes.AssertNothingLeftBehind();
    }

    [BrowserFact]
    public async Task ExportOnceAsync_CancelledRightAfterLaunch_ThrowsAndLeavesNothing()
    {
        using var cancel = new CancellationTokenSource();
        using var processes = new BrowserProcesses(_ => cancel.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SvgExport.ExportOnceAsync([Figure()], _folder.Path, cancel.Token));

        processes.AssertNothingLeftBehind();
        Assert.Empty(Directory.EnumerateFileSystemEntries(_folder.Path));
    }

    [BrowserFact]
    public async Task InspectAsync_PageThatNeverFinishes_TimesOutAndLeavesNothing()
    {
        var page = Path.Combine(_folder.Path, "busy.html");
        File.WriteAllText(page, "<!DOCTYPE html><html><body><script>while (true) {}</script></body></html>");
        using var processes = new BrowserProcesses();

        await using (var browser = await HeadlessBrowser.LaunchAsync())
        {
            var error = await Assert.ThrowsAsync<BrowserRunException>(
                () => new PageInspector(browser).InspectAsync(page, TimeSpan.FromSeconds(3)));

            Assert.Contains("did not finish", error.Message);
        }

        processes.AssertNothingLeftBehind();
    }

    [Fact]
    public void SweepStale_FoldersOfADeadAndALiveOwner_DeletesOnlyTheDeadOnes()
    {
        using var dead = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var deadStart = new DateTimeOffset(dead.StartTime.ToUniversalTime()).ToUnixTimeSeconds();
        dead.WaitForExit();
        var deadFolder = Directory.CreateDirectory(Path.Combine(_folder.Path, $"{BrowserWorkFolders.Prefix}{dead.Id}-{deadStart}-0123456789ab")).FullName;
        File.WriteAllText(Path.Combine(deadFolder, "Cookies"), "left by a killed run");
        var live = BrowserWorkFolders.Create(_folder.Path);
        var unrelated = Directory.CreateDirectory(Path.Combine(_folder.Path, "aiu-chart-tests-keep")).FullName;

        var swept = BrowserWorkFolders.SweepStale(_folder.Path);

        Assert.Equal([deadFolder], swept);
        Assert.False(Directory.Exists(deadFolder));
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(unrelated));
    }

    [BrowserFact(LinuxOnly = true)]
    public async Task Runner_KilledWhileItsBrowserRuns_BrowserEndsAndTheNextLaunchSweepsTheFolder()
    {
        using var runner = StartRunnerThatHoldsItsBrowser();
        var folder = await WaitForWorkFolderAsync(runner);

        runner.Kill(entireProcessTree: false);
        await runner.WaitForExitAsync();

        // The browser talks to the runner over a pipe: when the runner dies, the pipe closes and the browser quits.
        var ended = SpinWait.SpinUntil(() => BrowserWorkFolders.ProcessesMentioning(folder).Count == 0, TimeSpan.FromSeconds(20));
        Assert.True(ended, $"browser processes still running after the runner was killed: {string.Join(", ", BrowserWorkFolders.ProcessesMentioning(folder))}");
        // A SIGKILL runs no cleanup: the folder stays until a launch sweeps it (another test's launch may already have).
        await using (await HeadlessBrowser.LaunchAsync())
        {
            Assert.False(Directory.Exists(folder), $"the next launch did not sweep {folder}");
        }
    }

    [BrowserFact(LinuxOnly = true)]
    public async Task Runner_InterruptedWhileItsBrowserRuns_EndsTheBrowserAndDeletesItsFolder()
    {
        using var runner = StartRunnerThatHoldsItsBrowser();
        var folder = await WaitForWorkFolderAsync(runner);

        InheritedSignals.AssertSigintNotIgnored();
        using (var kill = Process.Start("kill", ["-INT", runner.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        var cleaned = SpinWait.SpinUntil(() => !Directory.Exists(folder) && BrowserWorkFolders.ProcessesMentioning(folder).Count == 0, TimeSpan.FromSeconds(20));
        if (!runner.HasExited)
        {
            runner.Kill(entireProcessTree: true);
        }

        Assert.True(cleaned, $"after Ctrl+C: folder exists={Directory.Exists(folder)}, processes: {string.Join(", ", BrowserWorkFolders.ProcessesMentioning(folder))}");
    }

    // The runner keeps one browser for the whole run: chapter 01 draws a chart (the browser starts),
    // chapter 02 then sleeps, so the browser is alive while the runner is in the middle of a chapter.
    private Process StartRunnerThatHoldsItsBrowser()
    {
        var notebooks = Directory.CreateDirectory(Path.Combine(_folder.Path, "notebooks")).FullName;
        var lab = Path.Combine(AppContext.BaseDirectory, "AddressInUse.dll");
        var chart = Fixtures.TestNotebooks.FromCode(
            $"#r \"{lab}\"",
            "var f = new AddressInUse.Charts.Figure(\"held\"); f.Data.Add(AddressInUse.Charts.Traces.Bars(\"n\", new[] { \"a\" }, new double[] { 1 })); f");
        Course.Runner.Notebooks.NotebookWriter.WriteFile(chart, Path.Combine(notebooks, "01-chart.ipynb"));
        var sleep = Fixtures.TestNotebooks.FromCode("System.Threading.Thread.Sleep(120_000);");
        Course.Runner.Notebooks.NotebookWriter.WriteFile(sleep, Path.Combine(notebooks, "02-sleep.ipynb"));

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "course.dll"), "run", "--notebooks", notebooks,
                     "--out", Path.Combine(_folder.Path, "out"), "--images", Path.Combine(_folder.Path, "images", "linux"),
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task<string> WaitForWorkFolderAsync(Process runner)
    {
        var prefix = $"{BrowserWorkFolders.Prefix}{runner.Id}-";
        string? found = null;
        bool Started()
        {
            var folder = Directory.EnumerateDirectories(Path.GetTempPath(), prefix + "*").FirstOrDefault();
            found = folder is not null && BrowserWorkFolders.ProcessesMentioning(folder).Count > 0 ? folder : null;
            return found is not null || runner.HasExited;
        }

        // 90 s without CPU used by the runner's tree is a hang; 90 s of wall time was not enough at load 80 (docs/benchmarks.md).
        await Course.TestUtilities.ProgressWatch.UntilAsync(Started, () => Course.TestUtilities.ProgressWatch.TreeCpuTicks(runner.Id), TimeSpan.FromSeconds(90), TimeSpan.FromMinutes(15));
        if (found is not null)
        {
            return found;
        }

        throw new Xunit.Sdk.XunitException($"the runner (pid {runner.Id}) never started its browser (exited: {runner.HasExited}).");
    }
}
