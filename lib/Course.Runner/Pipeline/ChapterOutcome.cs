namespace Course.Runner.Pipeline;

/// <summary>How one chapter of a run ended, for the summary table.</summary>
/// <param name="Chapter">The chapter name.</param>
/// <param name="Status">"ok", "failed", "cancelled" or "not run".</param>
/// <param name="Duration">How long it ran.</param>
/// <param name="Failure">Why it failed or stopped, when it did.</param>
public sealed record ChapterOutcome(string Chapter, string Status, TimeSpan Duration, string? Failure = null)
{
    /// <summary>The status of a chapter stopped by Ctrl+C or SIGTERM.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>The status of a chapter that was selected but not reached before a cancel.</summary>
    public const string NotRun = "not run";
}
