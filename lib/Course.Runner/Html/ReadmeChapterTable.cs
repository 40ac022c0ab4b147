using System.Text;
using System.Text.RegularExpressions;

namespace Course.Runner.Html;

/// <summary>
/// The README's chapter table, generated from the notebooks (number, title, the "In this chapter you will…" list)
/// and kept between two marker comments, so that it cannot drift from the chapters; `course nav` writes it.
/// </summary>
public static partial class ReadmeChapterTable
{
    /// <summary>The comment that opens the generated table.</summary>
    public const string BeginMarker = "<!-- chapters: generated from the notebooks by `course nav`; edit the notebooks, not this table -->";

    /// <summary>The comment that closes the generated table.</summary>
    public const string EndMarker = "<!-- /chapters -->";

    /// <summary>One chapter's row: its notebook path relative to the README, and its summary.</summary>
    public sealed record Row(string RelativePath, ChapterSummary Summary);

    /// <summary>The markdown table (header and one row per chapter, in the given order), ending with a newline.</summary>
    public static string Table(IEnumerable<Row> rows)
    {
        var table = new StringBuilder();
        table.Append("| # | chapter | you will… |\n|---|---|---|\n");
        foreach (var row in rows)
        {
            var fileName = Path.GetFileNameWithoutExtension(row.RelativePath);
            var number = NumberPrefix().Match(fileName) is { Success: true } n ? n.Groups[1].Value : "";
            // The heading is "01 — Address already in use"; the number has its own column.
            var title = TitlePrefix().Replace(row.Summary.Title, "");
            var objectives = row.Summary.Objectives.Count > 0 ? string.Join("; ", row.Summary.Objectives) : "(no \"In this chapter you will…\" list)";
            table.Append("| ").Append(number)
                .Append(" | [").Append(Cell(title)).Append("](").Append(row.RelativePath.Replace('\\', '/').Replace(" ", "%20")).Append(')')
                .Append(" | ").Append(Cell(objectives)).Append(" |\n");
        }

        return table.ToString();
    }

    /// <summary>The README with the text between the markers replaced by <paramref name="table"/>; everything else is kept byte for byte.</summary>
    /// <exception cref="CourseException">The markers are missing, repeated or out of order; the message says what to add.</exception>
    public static string Apply(string readme, string table)
    {
        var begin = readme.IndexOf(BeginMarker, StringComparison.Ordinal);
        var end = readme.IndexOf(EndMarker, StringComparison.Ordinal);
        if (begin < 0 || end < 0 || end < begin
            || readme.IndexOf(BeginMarker, begin + 1, StringComparison.Ordinal) >= 0
            || readme.IndexOf(EndMarker, end + 1, StringComparison.Ordinal) >= 0)
        {
            throw new CourseException(
                "README.md needs exactly one chapter table between the lines\n" + BeginMarker + "\nand\n" + EndMarker +
                "\nin that order; add them where the table belongs and run `course nav` again.");
        }

        var start = begin + BeginMarker.Length;
        // A blank line after the table, so no renderer reads the closing comment as one more row.
        return readme[..start] + "\n" + table + "\n" + readme[end..];
    }

    /// <summary>True when the README has the opening marker (a README without it is left alone).</summary>
    public static bool HasMarkers(string readme) => readme.Contains(BeginMarker, StringComparison.Ordinal);

    // A table cell is one line; "|" would end the cell early.
    private static string Cell(string markdown) => markdown.Replace("\r", "").Replace('\n', ' ').Replace("|", "\\|");

    [GeneratedRegex(@"^(\d+)-")]
    private static partial Regex NumberPrefix();

    [GeneratedRegex(@"^\d+\s*[—–-]\s*")]
    private static partial Regex TitlePrefix();
}
