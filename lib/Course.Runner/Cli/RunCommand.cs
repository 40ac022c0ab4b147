using System.CommandLine;
using System.Text.Json.Nodes;
using AddressInUse.Results;
using Course.Runner.Charts;
using Course.Runner.Execution;
using Course.Runner.Html;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Course.Runner.Results;

namespace Course.Runner.Cli;

/// <summary>`course run`: executes the chapter notebooks, writes executed notebooks, HTML pages, chart images and results.json, and prints a summary.</summary>
/// <remarks>The committed files (images/&lt;os&gt;/results.json and the chart images) are written only at the end of a run that was not cancelled:
/// images are staged in a temp folder beside them and renamed into place, results.json is written atomically, so Ctrl+C, SIGTERM or a kill
/// leaves them byte for byte as they were.</remarks>
public sealed class RunCommand : ICommand
{
    /// <summary>The heading of the generated contents page.</summary>
    public const string CourseTitle = "Address already in use";

    /// <summary>The prefix of the folder in images/&lt;os&gt;/ where a run stages its chart images before renaming them into place.</summary>
    public const string StagingPrefix = ".course-tmp-images-";

    private readonly Func<TextWriter, IChartImageExporter> _exporterFactory;
    private readonly IPlotlyScriptSource _plotly;

    /// <summary>Creates the command with the library's SVG exporter and plotly.js.</summary>
    public RunCommand()
        : this(null, null)
    {
    }

    /// <summary>Creates the command; the factory makes the chart image exporter (default: the library's SVG exporter when present).</summary>
    public RunCommand(Func<TextWriter, IChartImageExporter>? exporterFactory, IPlotlyScriptSource? plotly = null)
    {
        _exporterFactory = exporterFactory ?? ChartImageExporters.Default;
        _plotly = plotly ?? new LibraryPlotlyScriptSource();
    }

    /// <inheritdoc />
    public string Name => "run";

    /// <summary>Makes the reporter for a run: plain lines unless the output is a person's terminal.</summary>
    public Func<CommandContext, IRunReporter> ReporterFactory { get; init; } = DefaultReporter;

    /// <inheritdoc />
    public Command Create(CommandContext context)
    {
        var symbols = new RunOptionSymbols();
        var command = new Command("run", "run the chapter notebooks; write executed notebooks, HTML pages, chart images and results.json");
        symbols.AddTo(command);
        command.SetAction((parsed, token) => RunAsync(symbols.Read(parsed), context with { CancellationToken = token }));
        return command;
    }

    /// <summary>The reporter used when none is given: Spectre.Console in a terminal, plain lines otherwise.</summary>
    public static IRunReporter DefaultReporter(CommandContext context) =>
        context.Interactive ? new SpectreRunReporter(Spectre.Console.AnsiConsole.Console) : new PlainRunReporter(context.Out, context.Error);

    /// <summary>Runs the selected chapters; returns 0 when all succeeded, 1 when one failed, 130 when cancelled.</summary>
    public async Task<int> RunAsync(RunOptions options, CommandContext context)
    {
        var token = context.CancellationToken;
        string Resolve(string path) => Path.GetFullPath(Path.Combine(context.CurrentDirectory, path));
        var root = options.NotebooksFolder is null || options.OutFolder is null || options.ImagesFolder is null
            ? RepositoryLayout.RequireRoot(context.CurrentDirectory)
            : null;
        var notebooks = options.NotebooksFolder is { } n ? Resolve(n) : RepositoryLayout.NotebooksFolder(root!);
        var outFolder = options.OutFolder is { } o ? Resolve(o) : RepositoryLayout.OutFolder(root!);
        var images = options.ImagesFolder is { } im ? Resolve(im) : RepositoryLayout.ImagesFolder(root!);

        var catalog = ChapterCatalog.Discover(notebooks);
        var selected = ChapterCatalog.Select(catalog, options.Chapters);
        var resultsPath = Path.Combine(images, "results.json");
        var reporter = ReporterFactory(context);

        // A killed run may have left temp files or a staging folder; a live run's are never touched (their process id is alive).
        Leftovers.Sweep(images);
        Leftovers.Sweep(outFolder);
        // Read before running anything; a damaged file is set aside with a message, never a reason to refuse the run.
        var existingResults = ResultsAggregator.ReadExisting(resultsPath, reporter.Problem);
        // The chapters' verdicts about another OS read that OS's results.json beside this one's.
        Environment.SetEnvironmentVariable(AddressInUse.Results.CourseOs.ImagesRootVariable, Path.GetDirectoryName(images));

        reporter.Line($"course run: {selected.Count} of {catalog.Count} chapter(s) from {notebooks}");
        reporter.Line($"  pages and executed notebooks -> {outFolder}");
        reporter.Line($"  results.json and chart images -> {images}");
        if (options.Parameters.Count > 0)
        {
            reporter.Line($"  parameters: {string.Join(", ", options.Parameters.Select(p => $"{p.Key}={p.Value}"))}");
        }

        var staging = Path.Combine(images, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var exporter = _exporterFactory(new ReporterWriter(reporter));
        var outcomes = new List<ChapterOutcome>();
        var ran = new List<ChapterResults>();
        try
        {
            var cancelled = await reporter.ShowAsync(selected.Count, () => RunChaptersAsync(selected, catalog, notebooks, outFolder, staging, options, exporter, reporter, outcomes, ran, token));
            if (cancelled)
            {
                foreach (var chapter in selected.Skip(outcomes.Count))
                {
                    outcomes.Add(new ChapterOutcome(chapter.Name, ChapterOutcome.NotRun, TimeSpan.Zero));
                }

                reporter.Summary(outcomes);
                reporter.Problem($"{CommandLine.CancelledMessage} {resultsPath} and the chart images were left as they were; run the chapters again to record them.");
                return CommandLine.CancelledExitCode;
            }

            var stagedImages = Directory.Exists(staging) ? Directory.GetFiles(staging) : [];
            foreach (var image in stagedImages)
            {
                AtomicFile.MoveIntoPlace(image, Path.Combine(images, Path.GetFileName(image)));
            }

            if (stagedImages.Length > 0)
            {
                reporter.Line($"chart images: {stagedImages.Length} file(s) in {images}");
            }

            var merged = ResultsAggregator.Merge(existingResults, ran, OsInfo.Describe(), DateTimeOffset.UtcNow);
            ResultsAggregator.Write(resultsPath, merged);
            var titles = catalog.ToDictionary(c => c.Name, TitleOf);
            WriteIndex(catalog, titles, outFolder, merged);
            WriteComparison(images, outFolder);

            reporter.Summary(outcomes);
            reporter.Line($"results: {resultsPath}");
            reporter.Line($"pages:   {Path.Combine(outFolder, "index.html")}");
            return outcomes.All(r => r.Status == "ok") ? 0 : CommandLine.FailedExitCode;
        }
        finally
        {
            await DisposeAsync(exporter);
            Leftovers.Delete(staging);
        }
    }

    private async Task<bool> RunChaptersAsync(
        IReadOnlyList<Chapter> selected,
        IReadOnlyList<Chapter> catalog,
        string notebooks,
        string outFolder,
        string staging,
        RunOptions options,
        IChartImageExporter exporter,
        IRunReporter reporter,
        List<ChapterOutcome> outcomes,
        List<ChapterResults> ran,
        CancellationToken token)
    {
        var executor = new NotebookExecutor();
        var renderer = new ChapterPageRenderer(_plotly);
        var titles = catalog.ToDictionary(c => c.Name, TitleOf);
        foreach (var chapter in selected)
        {
            if (token.IsCancellationRequested)
            {
                return true;
            }

            reporter.ChapterStarting(chapter.Name);
            Notebook source;
            try
            {
                source = NotebookReader.ReadFile(chapter.Path);
            }
            catch (NotebookFormatException e)
            {
                Failed(chapter.Name, e.Message, TimeSpan.Zero);
                continue;
            }

            foreach (var issue in NotebookLint.Check(source))
            {
                reporter.Problem($"  lint {chapter.Name}: {issue}");
            }

            // Each chapter gets a fresh Polyglot kernel in VS Code, so its first chart must carry plotly.js again.
            AddressInUse.Charts.FigureHtml.ResetNotebookBundle();
            NotebookRunResult result;
            try
            {
                result = await executor.ExecuteAsync(source, chapter.Path, new ExecutionOptions
                {
                    CellTimeout = options.CellTimeout,
                    Parameters = options.Parameters,
                    Progress = progress => reporter.Cell(progress, cancelled: token.IsCancellationRequested),
                    LiveUpdate = reporter.Live,
                }, token);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                CancelledChapter(chapter.Name, TimeSpan.Zero);
                return true;
            }
            catch (CourseException e)
            {
                Failed(chapter.Name, e.Message, TimeSpan.Zero);
                continue;
            }

            if (token.IsCancellationRequested || result.Failure?.Kind == CellFailureKind.Cancelled)
            {
                // The chapter's outputs stop at the cancel: they are not a measurement, so nothing of it is written anywhere.
                CancelledChapter(chapter.Name, result.Duration);
                return true;
            }

            foreach (var warning in result.Warnings)
            {
                reporter.Problem($"  warning {chapter.Name}: {warning}");
            }

            string? failureText = null;
            if (result.Failure is { } failure)
            {
                failureText = $"{WhereFailed(result.Notebook, failure)}: {failure.Message}";
                reporter.Problem($"  {chapter.Name} failed at {failureText}");
            }

            var notebookOut = Path.Combine(outFolder, chapter.Name + ".ipynb");
            NotebookWriter.WriteFile(result.Notebook, notebookOut);
            var index = catalog.ToList().IndexOf(chapter);
            var page = renderer.Render(result.Notebook, new ChapterPageOptions
            {
                Title = titles[chapter.Name],
                Previous = index > 0 ? new PageLink(titles[catalog[index - 1].Name], catalog[index - 1].Name + ".html") : null,
                Next = index + 1 < catalog.Count ? new PageLink(titles[catalog[index + 1].Name], catalog[index + 1].Name + ".html") : null,
                FailureMessage = result.Failure?.Message,
                SourceDirectory = notebooks,
                OutputDirectory = outFolder,
            });
            AtomicFile.WriteAllText(Path.Combine(outFolder, chapter.Name + ".html"), page);
            reporter.Line($"  wrote {notebookOut} and {chapter.Name}.html");

            var charts = ChartCollector.Collect(result.Notebook, chapter.Name);
            if (charts.Count > 0)
            {
                if (token.IsCancellationRequested)
                {
                    // No browser is started after a cancel.
                    CancelledChapter(chapter.Name, result.Duration);
                    return true;
                }

                try
                {
                    Directory.CreateDirectory(staging);
                    await exporter.ExportAsync(charts, staging, token).WaitAsync(token);
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    CancelledChapter(chapter.Name, result.Duration);
                    return true;
                }
                catch (Exception e)
                {
                    // Images are a by-product: the chapter's measurements and pages are still valid without them.
                    reporter.Problem($"  chart images for {chapter.Name} were not written: {e.Message}");
                }
            }

            var warnings = new List<string>();
            ran.Add(ResultsAggregator.FromRun(chapter.Name, result.Notebook, result.Succeeded, result.Duration, failureText, warnings));
            foreach (var warning in warnings)
            {
                reporter.Problem($"  warning {warning}");
            }

            var outcome = new ChapterOutcome(chapter.Name, result.Succeeded ? "ok" : "failed", result.Duration, failureText);
            outcomes.Add(outcome);
            reporter.ChapterFinished(outcome);
        }

        return token.IsCancellationRequested;

        void Failed(string name, string message, TimeSpan duration)
        {
            reporter.Problem($"  {message}");
            ran.Add(new ChapterResults(name, false, duration, message, [], []));
            var outcome = new ChapterOutcome(name, "failed", duration, message);
            outcomes.Add(outcome);
            reporter.ChapterFinished(outcome);
        }

        void CancelledChapter(string name, TimeSpan duration)
        {
            var outcome = new ChapterOutcome(name, ChapterOutcome.Cancelled, duration, "stopped by Ctrl+C or SIGTERM; nothing of it was recorded");
            outcomes.Add(outcome);
            reporter.ChapterFinished(outcome);
        }
    }

    /// <summary>"code cell 5/9 (id x)": the failed cell counted among the code cells, as the progress lines count it.</summary>
    public static string WhereFailed(Notebook executed, CellFailure failure)
    {
        var codeCells = executed.Cells.Select((cell, index) => (cell, index)).Where(x => x.cell.CellType == CellType.Code).ToList();
        var number = codeCells.FindIndex(x => x.index == failure.CellIndex) + 1;
        var id = failure.CellId is null ? "" : $" (id {failure.CellId})";
        return number > 0 ? $"code cell {number}/{codeCells.Count}{id}" : $"cell{id}";
    }

    // The exporter keeps one browser for the whole run; it is ended here, also after a cancel.
    private static ValueTask DisposeAsync(IChartImageExporter exporter) => exporter.DisposeAsync();

    private static string TitleOf(Chapter chapter)
    {
        try
        {
            return ChapterPageRenderer.TitleOf(NotebookReader.ReadFile(chapter.Path), chapter.Name);
        }
        catch (NotebookFormatException)
        {
            return chapter.Name;
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

    private static ChapterSummary? SummaryOf(Chapter chapter)
    {
        try
        {
            return ChapterSummary.Of(NotebookReader.ReadFile(chapter.Path), chapter.Name);
        }
        catch (NotebookFormatException)
        {
            return null;
        }
    }

    private static void WriteIndex(IReadOnlyList<Chapter> catalog, IReadOnlyDictionary<string, string> titles, string outFolder, JsonObject results)
    {
        var statuses = results["chapters"] as JsonObject;
        var entries = catalog.Select(c => new IndexEntry(
            c.Name,
            titles[c.Name],
            File.Exists(Path.Combine(outFolder, c.Name + ".html")) ? c.Name + ".html" : null,
            statuses?[c.Name]?["status"]?.GetValue<string>(),
            SummaryOf(c))).ToList();
        var subtitle = $"Run on {OsInfo.Family} ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), {results["generated"]}.";
        AtomicFile.WriteAllText(Path.Combine(outFolder, "index.html"), IndexPageRenderer.Render(entries, CourseTitle, subtitle));
    }

    /// <summary>Lets the exporter's log lines go through the reporter (so they land above a live progress bar).</summary>
    private sealed class ReporterWriter(IRunReporter reporter) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                reporter.Line(_line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void WriteLine(string? value)
        {
            reporter.Line(_line.Append(value).ToString());
            _line.Clear();
        }

        public override void Flush()
        {
        }
    }
}
