using System.CommandLine;
using System.Text.Json.Nodes;
using AddressInUse.Verdicts;
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
        // Each chapter is read once, here, and carried to its execution, its page, the neighbours' links and the index.
        var chapters = catalog.Select(LoadedChapter.Load).ToList();
        var resultsPath = Path.Combine(images, "results.json");
        // Before the first chapter: a folder that cannot be written ends the run now with one line, not minutes later with a stack trace.
        OutputFolder.Prepare(outFolder, "--out");
        OutputFolder.Prepare(images, "--images");
        OutputFolder.RequireFileOrNothing(resultsPath);
        var reporter = ReporterFactory(context);

        // A killed run may have left workers or child servers (its pid in their environment, it no longer their ancestor): end them.
        if (AddressInUse.Child.ProcessTree.SweepOrphans(Kernel.WorkerProcess.RunnerVariable, Kernel.WorkerProcess.CoursePrograms) is { Count: > 0 } swept)
        {
            reporter.Line($"ended {swept.Count} process(es) a killed run left behind (pids {string.Join(", ", swept)})");
        }

        // A killed run may have left temp files or a staging folder; a live run's are never touched (their process id is alive).
        Leftovers.Sweep(images);
        Leftovers.Sweep(outFolder);
        // Read before running anything; a damaged file is set aside with a message, never a reason to refuse the run.
        var existingResults = ResultsAggregator.ReadExisting(resultsPath, reporter.Problem);
        // The chapters' verdicts about another OS read that OS's results.json beside this one's.
        Environment.SetEnvironmentVariable(AddressInUse.Verdicts.CourseOs.ImagesRootVariable, Path.GetDirectoryName(images));

        reporter.Line($"course run: {selected.Count} of {catalog.Count} chapter(s) from {notebooks}");
        reporter.Line($"  pages and executed notebooks -> {outFolder}");
        reporter.Line($"  results.json and chart images -> {images}");
        if (options.Parameters.Count > 0)
        {
            reporter.Line($"  parameters: {string.Join(", ", options.Parameters.Select(p => $"{p.Key}={p.Value}"))}");
        }

        var staging = Path.Combine(images, $"{StagingPrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        var marker = Leftovers.MarkRun(outFolder);
        // A second Ctrl+C ends the process through Environment.Exit, which runs no finally block: the marker goes there too.
        EventHandler removeAtExit = (_, _) =>
        {
            Leftovers.Delete(staging);
            Leftovers.Delete(marker);
        };
        AppDomain.CurrentDomain.ProcessExit += removeAtExit;
        var exportLog = new ReporterWriter(reporter);
        var exporter = _exporterFactory(exportLog);
        var outcomes = new ChapterOutcome?[selected.Count];
        var ran = new ChapterResults?[selected.Count];
        var signature = ChapterSchedule.Signature(options.Parameters);
        var expected = ChapterSchedule.Expected(outFolder, signature, existingResults);
        try
        {
            var run = new ChapterRun(this, selected, chapters, notebooks, outFolder, staging, options, exporter, exportLog, reporter, outcomes, ran, token);
            var cancelled = await reporter.ShowAsync(selected.Count, () => run.RunAsync(ChapterSchedule.StartOrder(selected, expected, options.Jobs)));
            var summary = selected.Select((chapter, i) => outcomes[i] ?? new ChapterOutcome(chapter.Name, ChapterOutcome.NotRun, TimeSpan.Zero)).ToList();
            if (cancelled)
            {
                reporter.Summary(summary);
                reporter.Problem($"{CommandLine.CancelledMessage} {resultsPath} and the chart images were left as they were; run the chapters again to record them.");
                return CommandLine.CancelledExitCode;
            }

            var stagedImages = Directory.Exists(staging) ? Directory.GetFiles(staging) : [];

            // In chapter order, whatever order they finished in: later chapters' settings win in the merge, as in a one-at-a-time run.
            var merged = ResultsAggregator.Merge(existingResults, ran.OfType<ChapterResults>().ToList(), OsInfo.Describe(), DateTimeOffset.UtcNow);
            // results.json is staged beside the images, and the set replaces the committed one together (or not at all).
            var stagedResults = Path.Combine(staging, Path.GetFileName(resultsPath));
            ResultsAggregator.Write(stagedResults, merged);
            FileSet.Replace(images, [.. stagedImages, stagedResults]);
            if (stagedImages.Length > 0)
            {
                reporter.Line($"chart images: {stagedImages.Length} file(s) in {images}");
            }

            WriteIndex(chapters, outFolder, merged);
            WriteComparison(images, outFolder);
            ChapterSchedule.Record(outFolder, signature, summary.Select(o => (o.Chapter, o.Duration)));

            reporter.Summary(summary);
            reporter.Line($"results: {resultsPath}");
            reporter.Line($"pages:   {Path.Combine(outFolder, "index.html")}");
            return summary.All(r => r.Status == "ok") ? 0 : CommandLine.FailedExitCode;
        }
        finally
        {
            await DisposeAsync(exporter);
            AppDomain.CurrentDomain.ProcessExit -= removeAtExit;
            Leftovers.Delete(staging);
            Leftovers.Delete(marker);
        }
    }

    /// <summary>One run's chapters: up to --jobs of them at once, each in its own kernel worker, reported and recorded in chapter order.</summary>
    private sealed class ChapterRun(
        RunCommand command,
        IReadOnlyList<Chapter> selected,
        IReadOnlyList<LoadedChapter> catalog,
        string notebooks,
        string outFolder,
        string staging,
        RunOptions options,
        IChartImageExporter exporter,
        ReporterWriter exportLog,
        IRunReporter reporter,
        ChapterOutcome?[] outcomes,
        ChapterResults?[] ran,
        CancellationToken token)
    {
        private readonly OrderedRunReporter _ordered = new(reporter, selected.Count);
        private readonly NotebookExecutor _executor = new();
        // Warm kernel workers handed from one chapter to the next (a fresh kernel each); replaced after a hang, crash or cancel.
        private readonly Kernel.WorkerPool _workers = new();
        private readonly ChapterPageRenderer _renderer = new(command._plotly);
        // One browser for the run: chapters hand their charts over one at a time, and the next chapter starts meanwhile.
        private readonly SemaphoreSlim _exportGate = new(1, 1);
        private readonly List<Task> _finishing = [];
        private int _next = -1;

        /// <summary>Runs every chapter, starting them in <paramref name="startOrder"/>; true when the run was cancelled.</summary>
        public async Task<bool> RunAsync(IReadOnlyList<int> startOrder)
        {
            var started = new bool[selected.Count];
            async Task Lane()
            {
                while (!token.IsCancellationRequested)
                {
                    var k = Interlocked.Increment(ref _next);
                    if (k >= startOrder.Count)
                    {
                        return;
                    }

                    var index = startOrder[k];
                    started[index] = true;
                    var finishing = await RunChapterAsync(index, warmSpare: k + 1 < startOrder.Count).ConfigureAwait(false);
                    lock (_finishing)
                    {
                        _finishing.Add(finishing);
                    }
                }
            }

            var lanes = Enumerable.Range(0, Math.Clamp(options.Jobs, 1, Math.Max(1, selected.Count))).Select(_ => Task.Run(Lane)).ToList();
            try
            {
                await Task.WhenAll(lanes).ConfigureAwait(false);
            }
            finally
            {
                _workers.Dispose();
                if (_workers.Replaced > 0)
                {
                    reporter.Line($"kernel workers: {_workers.Reused} chapter(s) ran in a warm worker; {_workers.Replaced} worker(s) replaced after a chapter left something behind (last: {_workers.LastReplacedBecause})");
                }

                Task[] finishing;
                lock (_finishing)
                {
                    finishing = [.. _finishing];
                }

                await Task.WhenAll(finishing).ConfigureAwait(false);
                for (var i = 0; i < selected.Count; i++)
                {
                    if (!started[i])
                    {
                        _ordered.Complete(i);
                    }
                }

                _ordered.Flush();
            }

            return token.IsCancellationRequested || outcomes.Any(o => o?.Status == ChapterOutcome.Cancelled);
        }

        /// <summary>Executes one chapter and writes its notebook and page; the returned task exports its charts and records it.</summary>
        private async Task<Task> RunChapterAsync(int index, bool warmSpare)
        {
            var chapter = selected[index];
            var r = _ordered.For(index);
            r.ChapterStarting(chapter.Name);
            var loaded = catalog.First(c => c.Chapter == chapter);
            if (loaded.Notebook is not { } source)
            {
                return Done(Failed(index, r, loaded.Problem!, TimeSpan.Zero));
            }

            foreach (var issue in NotebookLint.Check(source))
            {
                r.Problem($"  lint {chapter.Name}: {issue}");
            }

            NotebookRunResult result;
            try
            {
                result = await _executor.ExecuteAsync(source, chapter.Path, new ExecutionOptions
                {
                    CellTimeout = options.CellTimeout,
                    Parameters = options.Parameters,
                    OptionalParameters = options.OptionalParameters,
                    Progress = progress => r.Cell(progress, cancelled: token.IsCancellationRequested),
                    LiveUpdate = r.Live,
                    WarmSpareWorker = warmSpare,
                    Workers = options.ProcessPerChapter ? null : _workers,
                }, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return Done(CancelledChapter(index, r, TimeSpan.Zero));
            }
            catch (CourseException e)
            {
                return Done(Failed(index, r, e.Message, TimeSpan.Zero));
            }

            if (token.IsCancellationRequested || result.Failure?.Kind == CellFailureKind.Cancelled)
            {
                // The chapter's outputs stop at the cancel: they are not a measurement, so nothing of it is written anywhere.
                return Done(CancelledChapter(index, r, result.Duration));
            }

            foreach (var warning in result.Warnings)
            {
                r.Problem($"  warning {chapter.Name}: {warning}");
            }

            string? failureText = null;
            if (result.Failure is { } failure)
            {
                failureText = $"{WhereFailed(result.Notebook, failure)}: {failure.Message}";
                r.Problem($"  {chapter.Name} failed at {failureText}");
            }

            var notebookOut = Path.Combine(outFolder, chapter.Name + ".ipynb");
            NotebookWriter.WriteFile(result.Notebook, notebookOut);
            var position = catalog.ToList().IndexOf(loaded);
            var page = _renderer.Render(result.Notebook, new ChapterPageOptions
            {
                Title = loaded.Title,
                Previous = position > 0 ? new PageLink(catalog[position - 1].Title, catalog[position - 1].Chapter.Name + ".html") : null,
                Next = position + 1 < catalog.Count ? new PageLink(catalog[position + 1].Title, catalog[position + 1].Chapter.Name + ".html") : null,
                FailureMessage = result.Failure?.Message,
                SourceDirectory = notebooks,
                OutputDirectory = outFolder,
            });
            AtomicFile.WriteAllText(Path.Combine(outFolder, chapter.Name + ".html"), page);
            r.Line($"  wrote {notebookOut} and {chapter.Name}.html");
            return FinishAsync(index, r, result, failureText);
        }

        private async Task FinishAsync(int index, IRunReporter r, NotebookRunResult result, string? failureText)
        {
            var chapter = selected[index];
            try
            {
                var charts = ChartCollector.Collect(result.Notebook, chapter.Name);
                if (charts.Count > 0)
                {
                    if (token.IsCancellationRequested)
                    {
                        // No browser is started after a cancel.
                        CancelledChapter(index, r, result.Duration);
                        return;
                    }

                    try
                    {
                        await _exportGate.WaitAsync(token).ConfigureAwait(false);
                        try
                        {
                            exportLog.Target = r;
                            Directory.CreateDirectory(staging);
                            await exporter.ExportAsync(charts, staging, token).WaitAsync(token).ConfigureAwait(false);
                            // The executed notebook gets each image too, so viewers that run no script still draw its charts.
                            if (StaticFigureImages.Attach(result.Notebook, charts, staging) > 0)
                            {
                                NotebookWriter.WriteFile(result.Notebook, Path.Combine(outFolder, chapter.Name + ".ipynb"));
                            }
                        }
                        finally
                        {
                            exportLog.Target = reporter;
                            _exportGate.Release();
                        }
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested)
                    {
                        CancelledChapter(index, r, result.Duration);
                        return;
                    }
                    catch (Exception e)
                    {
                        // Images are a by-product: the chapter's measurements and pages are still valid without them.
                        r.Problem($"  chart images for {chapter.Name} were not written: {e.Message}");
                    }
                }

                var warnings = new List<string>();
                ran[index] = ResultsAggregator.FromRun(chapter.Name, result.Notebook, result.Succeeded, result.Duration, failureText, warnings);
                foreach (var warning in warnings)
                {
                    r.Problem($"  warning {warning}");
                }

                var outcome = new ChapterOutcome(chapter.Name, result.Succeeded ? "ok" : "failed", result.Duration, failureText);
                outcomes[index] = outcome;
                r.ChapterFinished(outcome);
            }
            finally
            {
                _ordered.Complete(index);
            }
        }

        private Task Done(int index)
        {
            _ordered.Complete(index);
            return Task.CompletedTask;
        }

        private int Failed(int index, IRunReporter r, string message, TimeSpan duration)
        {
            var name = selected[index].Name;
            r.Problem($"  {message}");
            ran[index] = new ChapterResults(name, false, duration, message, [], []);
            var outcome = new ChapterOutcome(name, "failed", duration, message);
            outcomes[index] = outcome;
            r.ChapterFinished(outcome);
            return index;
        }

        private int CancelledChapter(int index, IRunReporter r, TimeSpan duration)
        {
            var outcome = new ChapterOutcome(selected[index].Name, ChapterOutcome.Cancelled, duration, "stopped by Ctrl+C or SIGTERM; nothing of it was recorded");
            outcomes[index] = outcome;
            r.ChapterFinished(outcome);
            return index;
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
        var entries = chapters.Select(c => new IndexEntry(
            c.Chapter.Name,
            c.Title,
            File.Exists(Path.Combine(outFolder, c.Chapter.Name + ".html")) ? c.Chapter.Name + ".html" : null,
            statuses?[c.Chapter.Name]?["status"]?.GetValue<string>(),
            c.Summary,
            notHolding.GetValueOrDefault(c.Chapter.Name))).ToList();
        var subtitle = $"Run on {OsInfo.Family} ({System.Runtime.InteropServices.RuntimeInformation.OSDescription}), {results["generated"]}.";
        AtomicFile.WriteAllText(Path.Combine(outFolder, "index.html"), IndexPageRenderer.Render(entries, CourseTitle, subtitle));
    }

    /// <summary>Lets the exporter's log lines go through the reporter (so they land above a live progress bar).</summary>
    private sealed class ReporterWriter(IRunReporter reporter) : TextWriter
    {
        private readonly System.Text.StringBuilder _line = new();

        /// <summary>Where lines go: the chapter whose charts are being exported, so its lines appear in its place; the run's reporter otherwise.</summary>
        public IRunReporter Target { get; set; } = reporter;

        public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

        public override void Write(char value)
        {
            if (value == '\n')
            {
                Target.Line(_line.ToString().TrimEnd('\r'));
                _line.Clear();
            }
            else
            {
                _line.Append(value);
            }
        }

        public override void WriteLine(string? value)
        {
            Target.Line(_line.Append(value).ToString());
            _line.Clear();
        }

        public override void Flush()
        {
        }
    }
}

/// <summary>A chapter read once for the whole run: its notebook (or why it could not be read), title and summary.</summary>
/// <param name="Chapter">The chapter's file.</param>
/// <param name="Notebook">The notebook as read, or null when it is not a readable nbformat 4 notebook.</param>
/// <param name="Problem">Why it could not be read (the reader's message naming the fix), or null.</param>
internal sealed record LoadedChapter(Chapter Chapter, Notebook? Notebook, string? Problem)
{
    /// <summary>The title its page, its neighbours' links and the index show (the file name when it could not be read).</summary>
    public string Title { get; } = Notebook is null ? Chapter.Name : ChapterPageRenderer.TitleOf(Notebook, Chapter.Name);

    /// <summary>What the index says of it, or null when it could not be read.</summary>
    public ChapterSummary? Summary { get; } = Notebook is null ? null : ChapterSummary.Of(Notebook, Chapter.Name);

    /// <summary>Reads the chapter's notebook once.</summary>
    public static LoadedChapter Load(Chapter chapter)
    {
        try
        {
            return new LoadedChapter(chapter, NotebookReader.ReadFile(chapter.Path), null);
        }
        catch (NotebookFormatException e)
        {
            return new LoadedChapter(chapter, null, e.Message);
        }
    }
}
