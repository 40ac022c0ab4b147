using System.Globalization;
using System.Text;
using Course.Runner.Execution;
using Course.Runner.Pipeline;
using Spectre.Console;

namespace Course.Runner.Cli;

/// <summary>Plain lines ("  [chapter] cell i/n (id x) ... ok (0.4 s)") and a text table: what CI logs and pipes get.</summary>
public sealed class PlainRunReporter(TextWriter output, TextWriter error) : IRunReporter
{
    private readonly ConsoleProgress _progress = new(output);

    /// <inheritdoc />
    public Task<T> ShowAsync<T>(int chapterCount, Func<Task<T>> body) => body();

    /// <inheritdoc />
    public void Line(string text = "") => output.WriteLine(text);

    /// <inheritdoc />
    public void Problem(string text) => error.WriteLine(text);

    /// <inheritdoc />
    public void ChapterStarting(string chapter)
    {
        output.WriteLine();
        output.WriteLine($"== {chapter}");
    }

    /// <inheritdoc />
    public void Cell(CellProgress progress, bool cancelled = false) => _progress.Report(progress, cancelled);

    /// <inheritdoc />
    public void Live(string text) => _progress.Live(text);

    /// <inheritdoc />
    public void ChapterFinished(ChapterOutcome outcome)
    {
        _progress.EndOpenLine(outcome.Status == ChapterOutcome.Cancelled ? "cancelled" : outcome.Status);
    }

    /// <inheritdoc />
    public void Summary(IReadOnlyList<ChapterOutcome> outcomes)
    {
        output.WriteLine();
        output.Write(SummaryTable(outcomes));
    }

    /// <summary>The per-chapter summary as plain text: one row per chapter, then each failure's reason.</summary>
    public static string SummaryTable(IReadOnlyList<ChapterOutcome> outcomes)
    {
        var width = Math.Max("chapter".Length, outcomes.Select(r => r.Chapter.Length).DefaultIfEmpty(0).Max()) + 2;
        var table = new StringBuilder();
        table.Append("chapter".PadRight(width)).Append("status     ").Append("duration").Append('\n');
        foreach (var r in outcomes)
        {
            table.Append(r.Chapter.PadRight(width))
                .Append(r.Status.PadRight(11))
                .Append(Seconds(r.Duration).PadLeft(8))
                .Append('\n');
        }

        foreach (var r in outcomes.Where(r => r.Failure is not null))
        {
            table.Append($"{r.Chapter}: {r.Failure}\n");
        }

        return table.ToString();
    }

    internal static string Seconds(TimeSpan duration) => duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";
}

/// <summary>A Spectre.Console progress bar per chapter (cells done of cells) and a coloured summary table, for a person's terminal.</summary>
public sealed class SpectreRunReporter(IAnsiConsole console) : IRunReporter
{
    private readonly object _gate = new();
    private ProgressContext? _context;
    private ProgressTask? _chapter;
    private string _chapterName = "";

    /// <inheritdoc />
    public async Task<T> ShowAsync<T>(int chapterCount, Func<Task<T>> body)
    {
        T result = default!;
        await console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                _context = context;
                try
                {
                    result = await body().ConfigureAwait(false);
                }
                finally
                {
                    lock (_gate)
                    {
                        _context = null;
                    }
                }
            }).ConfigureAwait(false);
        return result;
    }

    /// <inheritdoc />
    public void Line(string text = "")
    {
        lock (_gate)
        {
            console.MarkupLine(Markup.Escape(text));
        }
    }

    /// <inheritdoc />
    public void Problem(string text)
    {
        lock (_gate)
        {
            console.MarkupLine($"[red]{Markup.Escape(text)}[/]");
        }
    }

    /// <inheritdoc />
    public void ChapterStarting(string chapter)
    {
        lock (_gate)
        {
            _chapterName = chapter;
            _chapter = _context?.AddTask(Markup.Escape(chapter), maxValue: 1);
        }
    }

    /// <inheritdoc />
    public void Cell(CellProgress progress, bool cancelled = false)
    {
        lock (_gate)
        {
            if (_chapter is null)
            {
                return;
            }

            _chapter.MaxValue = Math.Max(1, progress.CodeCellCount);
            var id = progress.CellId is null ? "" : $" (id {progress.CellId})";
            if (progress.Stage == CellProgressStage.Starting)
            {
                _chapter.Description = Markup.Escape($"{_chapterName} cell {progress.CodeCellNumber}/{progress.CodeCellCount}{id}");
            }
            else
            {
                _chapter.Value = progress.CodeCellNumber;
                if (progress.Succeeded != true)
                {
                    var (colour, word) = cancelled ? ("yellow", "cancelled") : ("red", "FAILED");
                    console.MarkupLine($"[{colour}]{Markup.Escape($"  [{progress.Notebook}] cell {progress.CodeCellNumber}/{progress.CodeCellCount}{id} {word} ({PlainRunReporter.Seconds(progress.Elapsed ?? TimeSpan.Zero)})")}[/]");
                }
            }
        }
    }

    /// <inheritdoc />
    public void Live(string text)
    {
        lock (_gate)
        {
            if (_chapter is not null)
            {
                var firstLine = text.Split('\n', 2)[0].Trim();
                _chapter.Description = Markup.Escape($"{_chapterName}: {(firstLine.Length > 60 ? firstLine[..60] + "…" : firstLine)}");
            }
        }
    }

    /// <inheritdoc />
    public void ChapterFinished(ChapterOutcome outcome)
    {
        lock (_gate)
        {
            if (_chapter is null)
            {
                return;
            }

            var colour = Colour(outcome.Status);
            _chapter.Description = $"[{colour}]{Markup.Escape($"{outcome.Chapter} {outcome.Status}")}[/]";
            if (outcome.Status == "ok")
            {
                _chapter.Value = _chapter.MaxValue;
            }

            _chapter.StopTask();
            _chapter = null;
        }
    }

    /// <inheritdoc />
    public void Summary(IReadOnlyList<ChapterOutcome> outcomes)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("chapter").AddColumn("status").AddColumn(new TableColumn("duration").RightAligned());
        foreach (var r in outcomes)
        {
            table.AddRow(new Text(r.Chapter), new Markup($"[{Colour(r.Status)}]{Markup.Escape(r.Status)}[/]"), new Text(PlainRunReporter.Seconds(r.Duration)));
        }

        lock (_gate)
        {
            console.WriteLine();
            console.Write(table);
            foreach (var r in outcomes.Where(r => r.Failure is not null))
            {
                console.MarkupLine($"[bold]{Markup.Escape(r.Chapter)}[/]: {Markup.Escape(r.Failure!)}");
            }
        }
    }

    private static string Colour(string status) => status switch
    {
        "ok" => "green",
        "failed" => "red",
        _ => "yellow",
    };
}
