using Course.Runner.Execution;

namespace Course.Runner.Pipeline;

/// <summary>Where a run reads its chapters and writes what it makes.</summary>
/// <param name="Notebooks">The folder of NN-name.ipynb chapters.</param>
/// <param name="Out">Executed notebooks, HTML pages, the index and the comparison page.</param>
/// <param name="Images">This OS's results.json and chart images (images/&lt;os&gt;/).</param>
public sealed record RunFolders(string Notebooks, string Out, string Images)
{
    /// <summary>The results file in <see cref="Images"/>.</summary>
    public string Results => Path.Combine(Images, "results.json");
}

/// <summary>How each chapter of a run executes.</summary>
/// <param name="CellTimeout">How long one cell may run before it is cancelled.</param>
/// <param name="Parameters">Parameter overrides, name → C# expression text.</param>
/// <param name="OptionalParameters">Parameter names set for the whole run that a chapter need not declare.</param>
/// <param name="Jobs">How many chapters run at once, each in its own kernel worker.</param>
/// <param name="ProcessPerChapter">True: every chapter gets a new kernel worker process; false: a warm one that closed its last chapter cleanly is handed on (a fresh kernel either way).</param>
public sealed record RunSettings(TimeSpan CellTimeout, IReadOnlyDictionary<string, string> Parameters, IReadOnlySet<string> OptionalParameters, int Jobs, bool ProcessPerChapter = false)
{
    /// <summary>Settings with no parameters, the default cell timeout and the default number of jobs.</summary>
    public static RunSettings Default { get; } = new(
        ExecutionOptions.DefaultCellTimeout, new Dictionary<string, string>(), new HashSet<string>(), ChapterSchedule.DefaultJobs);
}

/// <summary>One run of the main job: which chapters, from and to which folders, executed how.</summary>
/// <param name="Folders">Where chapters are read and outputs written.</param>
/// <param name="ChapterSelectors">Chapter prefixes to run ("1" means "01"); empty: every chapter.</param>
/// <param name="Settings">How each chapter executes.</param>
public sealed record RunPlan(RunFolders Folders, IReadOnlyCollection<string> ChapterSelectors, RunSettings Settings);

/// <summary>How a run ended: each selected chapter's outcome in chapter order, and whether it was cancelled.</summary>
/// <param name="Chapters">One outcome per selected chapter, in chapter order.</param>
/// <param name="Cancelled">True when Ctrl+C or SIGTERM stopped the run (nothing was recorded).</param>
public sealed record RunSummary(IReadOnlyList<ChapterOutcome> Chapters, bool Cancelled)
{
    /// <summary>True when every selected chapter ran and succeeded.</summary>
    public bool AllSucceeded => !Cancelled && Chapters.All(c => c.Status == "ok");
}

/// <summary>The chapters a run knows: all of the folder's (for neighbours' links and the index) and those it runs, each loaded once.</summary>
/// <param name="Catalog">Every chapter of the folder, in chapter order.</param>
/// <param name="Selected">The chapters this run executes, in chapter order.</param>
internal sealed record RunChapters(IReadOnlyList<LoadedChapter> Catalog, IReadOnlyList<LoadedChapter> Selected);

/// <summary>What a chapter's outputs are written with: its page renderer, and the run's one chart exporter with its staging folder.</summary>
/// <param name="Pages">Renders the chapter's HTML page.</param>
/// <param name="Charts">Exports chart images (one browser for the run).</param>
/// <param name="ChartLog">The exporter's log, which follows the chapter whose charts are being exported.</param>
/// <param name="Staging">The folder beside images/&lt;os&gt;/ where images wait until the run ends uncancelled.</param>
internal sealed record ChapterWriters(Html.ChapterPageRenderer Pages, Charts.IChartImageExporter Charts, ReporterWriter ChartLog, string Staging);
