using System.Net;
using System.Text;

namespace Course.Runner.Html;

/// <summary>One chapter on the contents page.</summary>
/// <param name="Name">The notebook's file name without extension, e.g. "01-address-already-in-use".</param>
/// <param name="Title">The chapter title.</param>
/// <param name="Href">The page's relative address, or null when the page has not been generated yet.</param>
/// <param name="Status">"ok", "failed", or null when unknown.</param>
/// <param name="Summary">The chapter's objectives and duration, when the notebook could be read.</param>
/// <param name="VerdictsNotHolding">How many of the chapter's verdicts did not hold in this run (results.json "does_not_hold").</param>
/// <param name="VerdictsNotMeasured">How many of the chapter's verdicts were not measured in this run (results.json "not_measured").</param>
public sealed record IndexEntry(string Name, string Title, string? Href, string? Status, ChapterSummary? Summary = null, int VerdictsNotHolding = 0, int VerdictsNotMeasured = 0);

/// <summary>Renders the contents page that lists every chapter with a link to its page.</summary>
public static class IndexPageRenderer
{
    /// <summary>Renders the page; heading is shown as its title.</summary>
    public static string Render(IReadOnlyList<IndexEntry> chapters, string heading, string? subtitle = null)
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"course runner\">\n")
            .Append("<title>").Append(E(heading)).Append("</title>\n<style>\n").Append(PageStyles.Css).Append("\n</style>\n</head>\n<body>\n<main>\n")
            .Append("<h1>").Append(E(heading)).Append("</h1>\n");
        if (subtitle is not null)
        {
            page.Append("<p class=\"notice\">").Append(E(subtitle)).Append("</p>\n");
        }

        var markdown = new MarkdownRenderer();
        page.Append("<table class=\"chapters\">\n<thead><tr><th>Chapter</th><th>In this chapter you will…</th><th>Duration</th></tr></thead>\n<tbody>\n");
        foreach (var chapter in chapters)
        {
            page.Append("<tr id=\"").Append(E(chapter.Name)).Append("\"><td class=\"chapter\">");
            page.Append(chapter.Href is null
                ? $"<span>{E(chapter.Title)}</span> <span class=\"notice\">(not run yet)</span>"
                : $"<a href=\"{E(chapter.Href)}\">{E(chapter.Title)}</a>");
            if (chapter.Status is not null)
            {
                page.Append($" <span class=\"status {E(chapter.Status)}\">{E(chapter.Status)}</span>");
            }

            // A chapter that ran is "ok" even when a sentence of it was contradicted; the reader must see that here too.
            if (chapter.VerdictsNotHolding > 0)
            {
                var n = chapter.VerdictsNotHolding;
                page.Append($" <span class=\"status failed\">{n} {(n == 1 ? "verdict does" : "verdicts do")} not hold</span>");
            }

            // Its sentences marked ○ on the page: checked by the course, but not on this run.
            if (chapter.VerdictsNotMeasured > 0)
            {
                var n = chapter.VerdictsNotMeasured;
                page.Append($" <span class=\"status not-measured\">○ {n} {(n == 1 ? "verdict" : "verdicts")} not measured in this run</span>");
            }

            page.Append("</td><td class=\"objectives\">");
            if (chapter.Summary is { Objectives.Count: > 0 } summary)
            {
                // Objectives are markdown (code spans, emphasis); render them as the notebook would.
                page.Append(markdown.ToHtml(string.Join("\n", summary.Objectives.Select(o => "- " + o))));
            }

            page.Append("</td><td class=\"duration\">").Append(chapter.Summary is { } s ? E(s.DurationText) : "").Append("</td></tr>\n");
        }

        page.Append("</tbody>\n</table>\n");
        page.Append("<p><a href=\"").Append(ComparePageRenderer.FileName).Append("\">Compare the outcomes across Linux, macOS and Windows</a> (scenario H1).</p>\n");
        page.Append("<p class=\"notice\">Durations marked ≈ are estimated from the chapter's length; the others come from the notebook's metadata.course.minutes.</p>\n");
        page.Append("</main>\n</body>\n</html>\n");
        return page.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
