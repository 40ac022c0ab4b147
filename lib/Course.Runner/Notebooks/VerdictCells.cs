using Microsoft.DotNet.Interactive.Documents;

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
    public static bool IsVerdict(InteractiveDocumentElement cell) =>
        cell.IsCode()
        && cell.Contents.Contains(CheckCall, StringComparison.Ordinal)
        && !cell.Contents.Contains("await ", StringComparison.Ordinal);

    /// <summary>True when metadata.jupyter.source_hidden is true.</summary>
    public static bool IsSourceHidden(InteractiveDocumentElement cell) => Metadata.IsTrue(cell.Metadata, "jupyter", "source_hidden");

    /// <summary>Sets metadata.jupyter.source_hidden = true, keeping the cell's other metadata (the Polyglot kernel name among it).</summary>
    public static void HideSource(InteractiveDocumentElement cell) => Metadata.Child(cell.MetadataOf(), "jupyter")["source_hidden"] = true;
}
