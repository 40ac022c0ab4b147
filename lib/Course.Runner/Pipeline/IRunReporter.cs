using Course.Runner.Execution;

namespace Course.Runner.Pipeline;

/// <summary>What `course run` tells the person while it works: plain lines for logs and CI, a live progress bar and a table in a terminal.</summary>
public interface IRunReporter
{
    /// <summary>Runs the body while the progress display is shown.</summary>
    Task<T> ShowAsync<T>(int chapterCount, Func<Task<T>> body);

    /// <summary>A line of normal output.</summary>
    void Line(string text = "");

    /// <summary>A warning or error line.</summary>
    void Problem(string text);

    /// <summary>A chapter starts.</summary>
    void ChapterStarting(string chapter);

    /// <summary>A cell starts or finishes; cancelled: it ended because the run was cancelled.</summary>
    void Cell(CellProgress progress, bool cancelled = false);

    /// <summary>A running cell updated a displayed value (its first line is shown, throttled).</summary>
    void Live(string text);

    /// <summary>A chapter ended.</summary>
    void ChapterFinished(ChapterOutcome outcome);

    /// <summary>The summary table at the end.</summary>
    void Summary(IReadOnlyList<ChapterOutcome> outcomes);
}
