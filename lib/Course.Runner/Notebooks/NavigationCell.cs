using System.Text;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Notebooks;

/// <summary>The generated previous/contents/next markdown cell at the end of a chapter notebook, marked with metadata.course.nav = true so it can be found and rewritten.</summary>
public static class NavigationCell
{
    /// <summary>The id given to a newly added navigation cell.</summary>
    public const string CellId = "course-nav";

    /// <summary>Whether the cell is a generated navigation cell (metadata.course.nav is true).</summary>
    public static bool IsNavigation(InteractiveDocumentElement cell) => cell.IsMarkdown() && Metadata.IsTrue(cell.Metadata, "course", "nav");

    /// <summary>The navigation markdown for one chapter: links to its neighbours (by notebook file name) and to the README.</summary>
    /// <param name="previous">The previous chapter's file name and title, if any.</param>
    /// <param name="next">The next chapter's file name and title, if any.</param>
    /// <param name="contentsHref">The contents link relative to the notebooks folder.</param>
    /// <param name="accountability">A line that counts the chapter's bound sentences (see <see cref="AccountabilityLine"/>), or null for none.</param>
    public static string Markdown((string File, string Title)? previous, (string File, string Title)? next, string contentsHref = "../README.md", string? accountability = null)
    {
        var parts = new List<string>();
        if (previous is { } p)
        {
            parts.Add($"Previous: [{Escape(p.Title)}]({Uri.EscapeDataString(p.File)})");
        }

        parts.Add($"[Contents]({contentsHref})");
        if (next is { } n)
        {
            parts.Add($"Next: [{Escape(n.Title)}]({Uri.EscapeDataString(n.File)})");
        }

        var text = new StringBuilder("---\n\n");
        if (accountability is not null)
        {
            text.Append(accountability).Append("\n\n");
        }

        return text.Append(string.Join(" · ", parts)).ToString();
    }

    /// <summary>
    /// "*What this chapter states:* 15 sentences measured on your machine (✓ links each to its verdict), 6 cited to a source, 2 not measured here."
    /// from the chapter's <see cref="ProseReport"/>; null when the chapter states nothing that needs binding.
    /// </summary>
    public static string? AccountabilityLine(ProseReport report)
    {
        if (report.Measured + report.Cited + report.NotMeasured == 0)
        {
            return null;
        }

        return $"*What this chapter states:* {report.Measured} {Sentences(report.Measured)} checked on your machine (each ✓ links to the verdict line that says whether it held in your run; the published pages and executed notebooks show ○ where it was not measured and ✘ where it did not hold), " +
               $"{report.Cited} cited to a source, {report.NotMeasured} marked not measured here.";
    }

    private static string Sentences(int n) => n == 1 ? "sentence" : "sentences";

    /// <summary>Puts the markdown into the notebook's navigation cell: rewrites the marked cell, or appends one when there is none; returns whether anything changed.</summary>
    public static bool Apply(InteractiveDocument notebook, string markdown)
    {
        var cells = notebook.Elements;
        var existing = cells.Where(IsNavigation).ToList();
        if (existing.Count == 1 && existing[0] == cells[^1])
        {
            if (existing[0].Contents == markdown)
            {
                return false;
            }

            existing[0].Contents = markdown;
            return true;
        }

        // Duplicates or a misplaced cell (a hand edit moved it): keep exactly one, at the end.
        foreach (var cell in existing)
        {
            cells.Remove(cell);
        }

        var metadata = new Dictionary<string, object> { ["course"] = new Dictionary<string, object> { ["nav"] = true } };
        cells.Add(NotebookCells.Markdown(markdown, existing.FirstOrDefault()?.Id ?? UniqueId(notebook), metadata));
        return true;
    }

    private static string UniqueId(InteractiveDocument notebook)
    {
        var id = CellId;
        while (notebook.Elements.Any(c => c.Id == id))
        {
            id += "-1";
        }

        return id;
    }

    // Square brackets in a title would end the link text early.
    private static string Escape(string title) => title.Replace("[", "\\[").Replace("]", "\\]");
}
