using System.Text.RegularExpressions;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Html;

/// <summary>The verdict links of an executed notebook's markdown, <c>[✓](#verdict-ID)</c>, drawn from what each verdict found in the run.</summary>
public static partial class VerdictLinks
{
    /// <summary>
    /// Writes the executed notebook with each verdict link's ✓ replaced by its verdict's mark (○ not measured, ✘ does not hold)
    /// and that mark's meaning as the link's title; the notebook in memory is left as it was.
    /// </summary>
    public static void WriteMarked(InteractiveDocument executed, string path)
    {
        var marks = ChapterPageRenderer.VerdictMarks(executed);
        var originals = new List<(InteractiveDocumentElement Cell, string Contents)>();
        try
        {
            foreach (var cell in executed.Elements.Where(c => c.IsMarkdown()))
            {
                var marked = Mark(cell.Contents, paragraph => marks.GetValueOrDefault(paragraph, VerdictMark.For(null)));
                if (marked != cell.Contents)
                {
                    originals.Add((cell, cell.Contents));
                    cell.Contents = marked;
                }
            }

            NotebookWriter.WriteFile(executed, path);
        }
        finally
        {
            // The page, the index and results.json are made from the same notebook; they read the author's markdown.
            foreach (var (cell, contents) in originals)
            {
                cell.Contents = contents;
            }
        }
    }

    /// <summary>The markdown with each <c>[✓](#verdict-ID)</c> replaced by <c>[mark](#verdict-ID "meaning")</c>.</summary>
    public static string Mark(string markdown, Func<string, VerdictMark> markOf) =>
        HoldsLink().Replace(markdown, m =>
        {
            var mark = markOf(m.Groups[1].Value);
            return $"[{mark.Symbol}](#verdict-{m.Groups[1].Value} \"{mark.Title}\")";
        });

    [GeneratedRegex(@"\[✓\]\(#verdict-([A-Za-z0-9_-]+)\)")]
    private static partial Regex HoldsLink();
}
