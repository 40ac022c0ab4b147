using System.Text.Json.Nodes;
using AddressInUse.Verdicts;
using Course.Runner.Charts;
using Course.Runner.Html;
using Course.Runner.IO;
using Course.Runner.Results;

namespace Course.Runner.Pipeline;

/// <summary>
/// The main job: loads every chapter once, executes the selected ones, and writes executed notebooks, HTML pages, chart images,
/// results.json, the index and the comparison page.
/// </summary>
/// <remarks>The committed files (images/&lt;os&gt;/results.json and the chart images) are written only at the end of a run that was not cancelled:
/// images are staged in a temp folder beside them and renamed into place, results.json is written atomically, so Ctrl+C, SIGTERM or a kill
/// leaves them byte for byte as they were.</remarks>
public sealed class CourseRun(Func<TextWriter, IChartImageExporter> exporterFactory, IPlotlyScriptSource plotly)
{
    /// <summary>The heading of the generated contents page.</summary>
    public const string CourseTitle = "Address already in use";

    /// <summary>The prefix of the folder in images/&lt;os&gt;/ where a run stages its chart images before renaming them into place.</summary>
    public const string StagingPrefix = ".course-tmp-images-";

    /// <summary>Runs the plan's chapters, reporting through <paramref name="reporter"/>; the summary says how each ended and whether the run was cancelled.</summary>
    /// <exception cref="CourseException">The notebooks folder has no chapters, or an output folder cannot be written.</exception>
    /// <exception cref="UsageException">A chapter selector matches no chapter.</exception>
    public async Task<RunSummary> RunAsync(RunPlan plan, IRunReporter reporter, CancellationToken token)
    {
        var folders = plan.Folders;
        var catalog = ChapterCatalog.Discover(folders.Notebooks);
        var selected = ChapterCatalog.Select(catalog, plan.ChapterSelectors);
        // Each chapter is read once, here, and carried to its execution, its page, the neighbours' links and the index.
        var loaded = catalog.Select(LoadedChapter.Load).ToList();
        var chapters = new RunChapters(loaded, loaded.Where(c => selected.Contains(c.Chapter)).ToList());
        // Before the first chapter: a folder that cannot be written ends the run now with one line, not minutes later with a stack trace.
        OutputFolder.Prepare(folders.Out, "--out");
        OutputFolder.Prepare(folders.Images, "--images");
        OutputFolder.RequireFileOrNothing(folders.Results);

        // A killed run may have left workers or child servers (its pid in their environment, it no longer their ancestor): end them.
        if (AddressInUse.Child.ProcessTree.SweepOrphans(Kernel.WorkerProcess.RunnerVariable, Kernel.WorkerProcess.CoursePrograms) is { Count: > 0 } swept)
        {
            reporter.Line($"ended {swept.Count} process(es) a killed run left behind (pids {string.Join(", ", swept)})");
        }

        // A killed run may have left temp files or a staging folder; a live run's are never touched (their process id is alive).
        Leftovers.Sweep(folders.Images);
        Leftovers.Sweep(folders.Out);
        // Read before running anything; a damaged file is set aside with a message, never a reason to refuse the run.
        var existingResults = ResultsAggregator.ReadExisting(folders.Results, reporter.Problem);
        // The chapters' verdicts about another OS read that OS's results.json beside this one's.
        Environment.SetEnvironmentVariable(CourseOs.ImagesRootVariable, Path.GetDirectoryName(folders.Images));

        var settings = plan.Settings;
        reporter.Line($"course run: {selected.Count} of {catalog.Count} chapter(s) from {folders.Notebooks}");
        reporter.Line($"  pages and executed notebooks -> {folders.Out}");
        reporter.Line($"  results.json and chart images -> {folders.Images}");
        if (settings.Parameters.Count > 0)
        {
            reporter.Line($"  parameters: {string.Join(", ", settings.Parameters.Select(p => $"{p.Key}={p.Value}"))}");
        }

        var staging = Path.Combine(folders.Images, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var marker = Leftovers.MarkRun(folders.Out);
        // A second Ctrl+C ends the process through Environment.Exit, which runs no finally block: the marker goes there too.
        var removeAtExit = AddressInUse.Child.ExitHooks.AtExit(() =>
        {
            Leftovers.Delete(staging);
            Leftovers.Delete(marker);
        });
        var exportLog = new ReporterWriter(reporter);
        // The exporter keeps one browser for the whole run; it is ended in the finally block, also after a cancel.
        var exporter = exporterFactory(exportLog);
        var signature = ChapterSchedule.Signature(settings.Parameters);
        var expected = ChapterSchedule.Expected(folders.Out, signature, existingResults);
        try
        {
            var run = new ChapterRun(chapters, plan, new ChapterWriters(new ChapterPageRenderer(plotly), exporter, exportLog, staging), reporter);
            var startOrder = ChapterSchedule.StartOrder(selected, expected, settings.Jobs);
            var cancelled = await reporter.ShowAsync(selected.Count, () => run.RunAsync(startOrder, token));
            var summary = selected.Select((chapter, i) => run.Outcomes[i] ?? new ChapterOutcome(chapter.Name, ChapterOutcome.NotRun, TimeSpan.Zero)).ToList();
            if (cancelled)
            {
                reporter.Summary(summary);
                return new RunSummary(summary, Cancelled: true);
            }

            var stagedImages = Directory.Exists(staging) ? Directory.GetFiles(staging) : [];

            // In chapter order, whatever order they finished in: later chapters' settings win in the merge, as in a one-at-a-time run.
            var merged = ResultsAggregator.Merge(existingResults, run.Results.OfType<ChapterResults>().ToList(), OsInfo.Describe(), DateTimeOffset.UtcNow);
            // results.json is staged beside the images, and the set replaces the committed one together (or not at all).
            var stagedResults = Path.Combine(staging, Path.GetFileName(folders.Results));
            ResultsAggregator.Write(stagedResults, merged);
            FileSet.Replace(folders.Images, [.. stagedImages, stagedResults]);
            if (stagedImages.Length > 0)
            {
                reporter.Line($"chart images: {stagedImages.Length} file(s) in {folders.Images}");
            }

            WriteIndex(chapters.Catalog, folders.Out, merged);
            WriteComparison(folders.Images, folders.Out);
            ChapterSchedule.Record(folders.Out, signature, summary.Select(o => (o.Chapter, o.Duration)));

            reporter.Summary(summary);
            reporter.Line($"results: {folders.Results}");
            reporter.Line($"pages:   {Path.Combine(folders.Out, "index.html")}");
            return new RunSummary(summary, Cancelled: false);
        }
        finally
        {
            await exporter.DisposeAsync();
            removeAtExit.Dispose();
            Leftovers.Delete(staging);
            Leftovers.Delete(marker);
        }
    }

    /// <summary>Writes compare.html (H1) from every results.json beside this OS's images folder.</summary>
    public static string WriteComparison(string imagesFolder, string outFolder)
    {
        var root = Path.GetDirectoryName(Path.GetFullPath(imagesFolder).TrimEnd(Path.DirectorySeparatorChar))!;
        var page = ComparePageRenderer.Render(OsComparison.Load(root), CourseTitle, Path.GetFileName(root));
        var path = Path.Combine(outFolder, ComparePageRenderer.FileName);
        AtomicFile.WriteAllText(path, page);
        return path;
    }

    private static void WriteIndex(IReadOnlyList<LoadedChapter> chapters, string outFolder, JsonObject results)
    {
        var statuses = results["chapters"] as JsonObject;
        var notHolding = ResultsAggregator.VerdictsNotHolding(results);
        var notMeasured = ResultsAggregator.VerdictsNotMeasured(results);
        var entries = chapters.Select(c => new IndexEntry(
            c.Chapter.Name,
            c.Title,
            File.Exists(Path.Combine(outFolder, c.Chapter.Name + ".html")) ? c.Chapter.Name + ".html" : null,
            statuses?[c.Chapter.Name]?["status"]?.GetValue<string>(),
            c.Summary,
            notHolding.GetValueOrDefault(c.Chapter.Name),
            notMeasured.GetValueOrDefault(c.Chapter.Name))).ToList();
        var subtitle = $"Run on {OsInfo.Family} ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), {results["generated"]}.";
        AtomicFile.WriteAllText(Path.Combine(outFolder, "index.html"), IndexPageRenderer.Render(entries, CourseTitle, subtitle));
    }
}
