using Course.Runner.Charts;
using Course.Runner.Execution;
using Course.Runner.Html;
using Course.Runner.IO;
using Course.Runner.Notebooks;
using Course.Runner.Results;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Pipeline;

/// <summary>One run's chapters: up to --jobs of them at once, each with a fresh kernel in a kernel worker of its lane, reported and recorded in chapter order.</summary>
internal sealed class ChapterRun(RunChapters chapters, RunPlan plan, ChapterWriters writers, IRunReporter reporter)
{
    private readonly IReadOnlyList<LoadedChapter> _selected = chapters.Selected;
    private readonly OrderedRunReporter _ordered = new(reporter, chapters.Selected.Count);
    private readonly NotebookExecutor _executor = new();
    // Warm kernel workers handed from one chapter to the next (a fresh kernel each); replaced after a hang, crash or cancel.
    private readonly Kernel.WorkerPool _workers = new();
    // One browser for the run: chapters hand their charts over one at a time, and the next chapter starts meanwhile.
    private readonly SemaphoreSlim _exportGate = new(1, 1);
    private readonly List<Task> _finishing = [];
    private CancellationToken _token;
    private int _next = -1;

    /// <summary>Each selected chapter's outcome (null: not reached), in chapter order.</summary>
    public ChapterOutcome?[] Outcomes { get; } = new ChapterOutcome?[chapters.Selected.Count];

    /// <summary>Each selected chapter's results for results.json (null: cancelled or not reached), in chapter order.</summary>
    public ChapterResults?[] Results { get; } = new ChapterResults?[chapters.Selected.Count];

    /// <summary>Runs every chapter, starting them in <paramref name="startOrder"/>; true when the run was cancelled.</summary>
    public async Task<bool> RunAsync(IReadOnlyList<int> startOrder, CancellationToken token)
    {
        _token = token;
        var started = new bool[_selected.Count];
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

        var lanes = Enumerable.Range(0, Math.Clamp(plan.Settings.Jobs, 1, Math.Max(1, _selected.Count))).Select(_ => Task.Run(Lane)).ToList();
        try
        {
            await Task.WhenAll(lanes).ConfigureAwait(false);
        }
        finally
        {
            _workers.Dispose();
            Task[] finishing;
            lock (_finishing)
            {
                finishing = [.. _finishing];
            }

            await Task.WhenAll(finishing).ConfigureAwait(false);
            for (var i = 0; i < _selected.Count; i++)
            {
                if (!started[i])
                {
                    _ordered.Complete(i);
                }
            }

            _ordered.Flush();
            if (_workers.HandOvers > 0 || _workers.Replaced > 0)
            {
                // Replacing is no failure: the next chapter got a new process, as every chapter did before workers were handed on.
                var handOver = _workers.HandOvers == 0 ? "" : $" (a fresh kernel each, {_workers.HandOverTime.TotalSeconds / _workers.HandOvers:0.00} s per hand-over)";
                var replaced = _workers.Replaced == 0 ? "" : $"; {_workers.Replaced} worker(s) replaced after a chapter left something behind (last: {_workers.LastReplacedBecause})";
                reporter.Line($"kernel workers: {_workers.Reused} chapter(s) ran in a warm worker{handOver}{replaced}");
            }
        }

        return token.IsCancellationRequested || Outcomes.Any(o => o?.Status == ChapterOutcome.Cancelled);
    }

    /// <summary>"code cell 5/9 (id x)": the failed cell counted among the code cells, as the progress lines count it.</summary>
    public static string WhereFailed(InteractiveDocument executed, CellFailure failure)
    {
        var codeCells = executed.Elements.Select((cell, index) => (cell, index)).Where(x => x.cell.IsCode()).ToList();
        var number = codeCells.FindIndex(x => x.index == failure.CellIndex) + 1;
        var id = failure.CellId is null ? "" : $" (id {failure.CellId})";
        return number > 0 ? $"code cell {number}/{codeCells.Count}{id}" : $"cell{id}";
    }

    /// <summary>Executes one chapter and writes its notebook and page; the returned task exports its charts and records it.</summary>
    private async Task<Task> RunChapterAsync(int index, bool warmSpare)
    {
        var loaded = _selected[index];
        var chapter = loaded.Chapter;
        var token = _token;
        var r = _ordered.For(index);
        r.ChapterStarting(chapter.Name);
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
                CellTimeout = plan.Settings.CellTimeout,
                Parameters = plan.Settings.Parameters,
                OptionalParameters = plan.Settings.OptionalParameters,
                Progress = progress => r.Cell(progress, cancelled: token.IsCancellationRequested),
                LiveUpdate = r.Live,
                WarmSpareWorker = warmSpare,
                Workers = plan.Settings.ProcessPerChapter ? null : _workers,
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

        var outFolder = plan.Folders.Out;
        var notebookOut = Path.Combine(outFolder, chapter.Name + ".ipynb");
        // The reader of the executed notebook sees each sentence's mark as its verdict came out in this run.
        VerdictLinks.WriteMarked(result.Notebook, notebookOut);
        var catalog = chapters.Catalog;
        var position = IndexOf(catalog, loaded);
        var page = writers.Pages.Render(result.Notebook, new ChapterPageOptions
        {
            Title = loaded.Title,
            Previous = position > 0 ? new PageLink(catalog[position - 1].Title, catalog[position - 1].Chapter.Name + ".html") : null,
            Next = position + 1 < catalog.Count ? new PageLink(catalog[position + 1].Title, catalog[position + 1].Chapter.Name + ".html") : null,
            FailureMessage = result.Failure?.Message,
            SourceDirectory = plan.Folders.Notebooks,
            OutputDirectory = outFolder,
        });
        AtomicFile.WriteAllText(Path.Combine(outFolder, chapter.Name + ".html"), page);
        r.Line($"  wrote {notebookOut} and {chapter.Name}.html");
        return FinishAsync(index, r, result, failureText);
    }

    private static int IndexOf(IReadOnlyList<LoadedChapter> catalog, LoadedChapter loaded)
    {
        for (var i = 0; i < catalog.Count; i++)
        {
            if (ReferenceEquals(catalog[i], loaded))
            {
                return i;
            }
        }

        return -1;
    }

    private async Task FinishAsync(int index, IRunReporter r, NotebookRunResult result, string? failureText)
    {
        var chapter = _selected[index].Chapter;
        var token = _token;
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
                        writers.ChartLog.Target = r;
                        Directory.CreateDirectory(writers.Staging);
                        await writers.Charts.ExportAsync(charts, writers.Staging, token).WaitAsync(token).ConfigureAwait(false);
                        // The executed notebook gets each image too, so viewers that run no script still draw its charts.
                        if (StaticFigureImages.Attach(result.Notebook, charts, writers.Staging) > 0)
                        {
                            VerdictLinks.WriteMarked(result.Notebook, Path.Combine(plan.Folders.Out, chapter.Name + ".ipynb"));
                        }
                    }
                    finally
                    {
                        writers.ChartLog.Target = writers.ChartLog.Run;
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
            Results[index] = ResultsAggregator.FromRun(chapter.Name, result.Notebook, result.Succeeded, result.Duration, failureText, warnings);
            foreach (var warning in warnings)
            {
                r.Problem($"  warning {warning}");
            }

            var outcome = new ChapterOutcome(chapter.Name, result.Succeeded ? "ok" : "failed", result.Duration, failureText);
            Outcomes[index] = outcome;
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
        var name = _selected[index].Chapter.Name;
        r.Problem($"  {message}");
        Results[index] = new ChapterResults(name, false, duration, message, [], []);
        var outcome = new ChapterOutcome(name, "failed", duration, message);
        Outcomes[index] = outcome;
        r.ChapterFinished(outcome);
        return index;
    }

    private int CancelledChapter(int index, IRunReporter r, TimeSpan duration)
    {
        var outcome = new ChapterOutcome(_selected[index].Chapter.Name, ChapterOutcome.Cancelled, duration, "stopped by Ctrl+C or SIGTERM; nothing of it was recorded");
        Outcomes[index] = outcome;
        r.ChapterFinished(outcome);
        return index;
    }
}
