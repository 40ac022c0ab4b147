using Course.Runner.Execution;
using Course.Runner.Pipeline;

namespace Course.Runner.Tests.Fixtures;

/// <summary>Passes every call to an inner reporter, and lets a test act (cancel, damage a file) when a chapter starts or a cell reports.</summary>
public sealed class ObservedRunReporter(IRunReporter inner) : IRunReporter
{
    /// <summary>Runs after the inner reporter heard that a chapter starts.</summary>
    public Action<string>? OnChapterStarting { get; init; }

    /// <summary>Runs after the inner reporter heard a cell's progress.</summary>
    public Action<CellProgress>? OnCell { get; init; }

    /// <inheritdoc />
    public Task<T> ShowAsync<T>(int chapterCount, Func<Task<T>> body) => inner.ShowAsync(chapterCount, body);

    /// <inheritdoc />
    public void Line(string text = "") => inner.Line(text);

    /// <inheritdoc />
    public void Problem(string text) => inner.Problem(text);

    /// <inheritdoc />
    public void ChapterStarting(string chapter)
    {
        inner.ChapterStarting(chapter);
        OnChapterStarting?.Invoke(chapter);
    }

    /// <inheritdoc />
    public void Cell(CellProgress progress, bool cancelled = false)
    {
        inner.Cell(progress, cancelled);
        OnCell?.Invoke(progress);
    }

    /// <inheritdoc />
    public void Live(string text) => inner.Live(text);

    /// <inheritdoc />
    public void ChapterFinished(ChapterOutcome outcome) => inner.ChapterFinished(outcome);

    /// <inheritdoc />
    public void Summary(IReadOnlyList<ChapterOutcome> outcomes) => inner.Summary(outcomes);
}
