using System.Globalization;
using System.Text.Json;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Execution;

/// <summary>A code cell's own time limit, <c>"course": {"timeout_seconds": 30}</c> in its metadata, used for that cell instead of --cell-timeout.</summary>
/// <remarks>
/// A short limit meant for one cell (a cell that must not hang) then does not also cut the chapter's setup cells short,
/// which on a loaded machine can take longer than the limit the one cell needs.
/// </remarks>
public static class CellTimeout
{
    /// <summary>The cell metadata object the course owns (the same key as the notebook's "course": {"minutes": …}).</summary>
    public const string MetadataKey = "course";

    /// <summary>The key under <see cref="MetadataKey"/> that holds the cell's limit in seconds.</summary>
    public const string SecondsKey = "timeout_seconds";

    /// <summary>The longest limit a cell may ask for, the same as --cell-timeout's.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(7);

    /// <summary>The cell's own time limit, or null when its metadata sets none.</summary>
    /// <param name="cell">The code cell.</param>
    /// <param name="label">How messages name the cell (<see cref="NotebookExecutor.Label"/>).</param>
    /// <exception cref="CourseException">The value is not a number of seconds above 0 and at most 7 days.</exception>
    public static TimeSpan? Of(InteractiveDocumentElement cell, string label)
    {
        if (Metadata.Find(cell.Metadata, MetadataKey) is not IDictionary<string, object> course || !course.TryGetValue(SecondsKey, out var value))
        {
            return null;
        }

        // Finite by construction: JSON has no NaN or infinity, and the Documents API reads every number as a double.
        if (value is double seconds && seconds > 0 && seconds <= Longest.TotalSeconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        throw new CourseException(
            $"{label} has \"{MetadataKey}\": {{\"{SecondsKey}\": {JsonSerializer.Serialize(value)}}} in its metadata, which is not a number of seconds above 0 "
            + $"and at most {Longest.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} (7 days). "
            + $"Fix: write a plain number there, e.g. \"{SecondsKey}\": 30, or remove the key so the cell gets --cell-timeout.");
    }
}
