using AddressInUse.Results;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Course.Runner.Charts;
using Course.Runner.Execution;
using Course.Runner.Html;
using Course.Runner.Notebooks;
using Course.Runner.Results;

namespace Course.Runner.Cli;

/// <summary>`course run`: executes the chapter notebooks, writes executed notebooks, HTML pages, chart images and results.json, and prints a summary.</summary>
public sealed class RunCommand : ICommand
{
    /// <summary>The heading of the generated contents page.</summary>
    public const string CourseTitle = "Address already in use";

    private readonly Func<TextWriter, IChartImageExporter> _exporterFactory;
    private readonly IPlotlyScriptSource _plotly;

    /// <summary>Creates the command; the factory makes the chart image exporter (default: the library's SVG exporter when present).</summary>
    public RunCommand(Func<TextWriter, IChartImageExporter>? exporterFactory = null, IPlotlyScriptSource? plotly = null)
    {
        _exporterFactory = exporterFactory ?? ChartImageExporters.Default;
        _plotly = plotly ?? new LibraryPlotlyScriptSource();
    }

    /// <inheritdoc />
    public string Name => "run";

    /// <inheritdoc />
    public string Summary => "run the chapter notebooks; write executed notebooks, HTML pages, chart images and results.json";

    /// <inheritdoc />
    public string Usage => RunOptions.Usage;

    /// <inheritdoc />
    public async Task<int> RunAsync(IReadOnlyList<string> args, CommandContext context)
    {
        var options = RunOptions.Parse(args);
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
        // Read before running anything: a broken file should stop us before minutes of experiments, not after.
        var existingResults = ResultsAggregator.ReadExisting(resultsPath);
        // The chapters' verdicts about another OS read that OS's results.json beside this one's.
        Environment.SetEnvironmentVariable(AddressInUse.Results.CourseOs.ImagesRootVariable, Path.GetDirectoryName(images));

        var output = context.Out;
        output.WriteLine($"course run: {selected.Count} of {catalog.Count} chapter(s) from {notebooks}");
        output.WriteLine($"  pages and executed notebooks -> {outFolder}");
        output.WriteLine($"  results.json and chart images -> {images}");
        if (options.Parameters.Count > 0)
        {
            output.WriteLine($"  parameters: {string.Join(", ", options.Parameters.Select(p => $"{p.Key}={p.Value}"))}");
        }

        var progress = new ConsoleProgress(output);
        var executor = new NotebookExecutor();
        var renderer = new ChapterPageRenderer(_plotly);
        var exporter = _exporterFactory(output);
        var titles = catalog.ToDictionary(c => c.Name, TitleOf);
        var ran = new List<ChapterResults>();

        foreach (var chapter in selected)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            output.WriteLine();
            output.WriteLine($"== {chapter.Name}");
            var warnings = new List<string>();
            Notebook source;
            try
            {
                source = NotebookReader.ReadFile(chapter.Path);
            }
            catch (NotebookFormatException e)
            {
                context.Error.WriteLine($"  {e.Message}");
                ran.Add(new ChapterResults(chapter.Name, false, TimeSpan.Zero, e.Message, [], []));
                continue;
            }

            foreach (var issue in NotebookLint.Check(source))
            {
                context.Error.WriteLine($"  lint {chapter.Name}: {issue}");
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
                    Progress = progress.Report,
                    LiveUpdate = progress.Live,
                }, context.CancellationToken);
            }
            catch (CourseException e)
            {
                context.Error.WriteLine($"  {e.Message}");
                ran.Add(new ChapterResults(chapter.Name, false, TimeSpan.Zero, e.Message, [], []));
                continue;
            }

            foreach (var warning in result.Warnings)
            {
                context.Error.WriteLine($"  warning {chapter.Name}: {warning}");
            }

            if (result.Failure is { } failure)
            {
                context.Error.WriteLine($"  {chapter.Name} failed: {failure.Message}");
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
            await File.WriteAllTextAsync(Path.Combine(outFolder, chapter.Name + ".html"), page, new UTF8Encoding(false), CancellationToken.None);
            output.WriteLine($"  wrote {notebookOut} and {chapter.Name}.html");

            var charts = ChartCollector.Collect(result.Notebook, chapter.Name);
            if (charts.Count > 0)
            {
                try
                {
                    await exporter.ExportAsync(charts, images);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Images are a by-product: the chapter's measurements and pages are still valid without them.
                    context.Error.WriteLine($"  chart images for {chapter.Name} were not written: {e.Message}");
                }
            }

            ran.Add(ResultsAggregator.FromRun(chapter.Name, result.Notebook, result.Succeeded, result.Duration, result.Failure?.Message, warnings));
            foreach (var warning in warnings)
            {
                context.Error.WriteLine($"  warning {warning}");
            }
        }

        var merged = ResultsAggregator.Merge(existingResults, ran, OsInfo.Describe(), DateTimeOffset.UtcNow);
        ResultsAggregator.Write(resultsPath, merged);
        WriteIndex(catalog, titles, outFolder, merged);
        WriteComparison(images, outFolder);

        output.WriteLine();
        output.Write(SummaryTable(ran));
        output.WriteLine($"results: {resultsPath}");
        output.WriteLine($"pages:   {Path.Combine(outFolder, "index.html")}");
        return ran.All(r => r.Succeeded) ? 0 : 1;
    }

    /// <summary>The per-chapter summary printed at the end of a run.</summary>
    public static string SummaryTable(IReadOnlyList<ChapterResults> ran)
    {
        var width = Math.Max("chapter".Length, ran.Select(r => r.Chapter.Length).DefaultIfEmpty(0).Max()) + 2;
        var table = new StringBuilder();
        table.Append("chapter".PadRight(width)).Append("status  ").Append("duration").Append('\n');
        foreach (var r in ran)
        {
            table.Append(r.Chapter.PadRight(width))
                .Append((r.Succeeded ? "ok" : "failed").PadRight(8))
                .Append((r.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s").PadLeft(8))
                .Append('\n');
        }

        foreach (var r in ran.Where(r => !r.Succeeded))
        {
            table.Append($"{r.Chapter}: {r.Failure}\n");
        }

        return table.ToString();
    }

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
        Directory.CreateDirectory(outFolder);
        var path = Path.Combine(outFolder, ComparePageRenderer.FileName);
        File.WriteAllText(path, page, new UTF8Encoding(false));
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
        Directory.CreateDirectory(outFolder);
        File.WriteAllText(Path.Combine(outFolder, "index.html"), IndexPageRenderer.Render(entries, CourseTitle, subtitle), new UTF8Encoding(false));
    }
}
