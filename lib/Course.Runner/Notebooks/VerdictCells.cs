using System.Text.Json.Nodes;

namespace Course.Runner.Notebooks;

/// <summary>
/// The cells that check a chapter's sentences against its measurements (<c>text.Check(...)</c>): a reader needs their verdict
/// line, not their code, so their source is hidden with the cell metadata VS Code and Jupyter honour (<c>jupyter.source_hidden</c>).
/// </summary>
public static class VerdictCells
{
    /// <summary>What marks a verdict cell's source.</summary>
    public const string CheckCall = "text.Check(";

    /// <summary>True for a code cell that checks sentences and runs no experiment (an experiment's code stays visible).</summary>
    public static bool IsVerdict(NotebookCell cell) =>
        cell.CellType == CellType.Code
        && cell.Source.Contains(CheckCall, StringComparison.Ordinal)
        && !cell.Source.Contains("await ", StringComparison.Ordinal);

    /// <summary>True when metadata.jupyter.source_hidden is true.</summary>
    public static bool IsSourceHidden(NotebookCell cell) =>
        (cell.Metadata["jupyter"] as JsonObject)?["source_hidden"] is JsonValue v && v.TryGetValue<bool>(out var hidden) && hidden;

    /// <summary>Sets metadata.jupyter.source_hidden = true, keeping the cell's other metadata (the Polyglot kernel name among it).</summary>
    public static void HideSource(NotebookCell cell)
    {
        if (cell.Metadata["jupyter"] is not JsonObject jupyter)
        {
            jupyter = [];
            cell.Metadata["jupyter"] = jupyter;
        }

        jupyter["source_hidden"] = true;
    }
}
