using AddressInUse.Verdicts;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Course.Runner.Results;

namespace Course.Runner.Html;

/// <summary>Renders compare.html (scenario H1): the OSes' measured outcomes side by side, differing rows highlighted, missing OSes explained.</summary>
public static class ComparePageRenderer
{
    /// <summary>The file name of the comparison page beside index.html.</summary>
    public const string FileName = "compare.html";

    /// <summary>Renders the page; the images folder path is only shown to tell the reader where the files came from.</summary>
    public static string Render(OsComparison comparison, string heading, string imagesRootShown = "images")
    {
        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"course runner\">\n")
            .Append("<title>").Append(E(heading)).Append(" — OS comparison</title>\n<style>\n").Append(PageStyles.Css).Append("\n</style>\n</head>\n<body>\n")
            .Append("<nav class=\"chapter-nav top\"><span></span><a rel=\"index\" href=\"index.html\">Contents</a><span></span></nav>\n<main>\n")
            .Append("<h1>Your OS and the others (H1)</h1>\n")
            .Append("<p>Every measured case from each <code>").Append(E(imagesRootShown)).Append("/&lt;os&gt;/results.json</code> present, one column per OS. ")
            .Append("A highlighted row means the OSes disagree on the outcome; errno numbers differ between OSes for the same error, so only the names are compared.</p>\n");

        var missing = comparison.MissingOses;
        if (missing.Count > 0)
        {
            page.Append("<div class=\"run-failed missing-oses\"><strong>Missing: ").Append(E(string.Join(", ", missing))).Append(".</strong> ")
                .Append("No results have been committed for ").Append(missing.Count == 1 ? "this OS" : "these OSes").Append(" yet, so this page cannot show how they differ. ")
                .Append("To produce them, run the course's main job on that OS — <code>dotnet run --project lib/Course.Runner -- run</code> — ")
                .Append("or let the <code>.github/workflows/course.yml</code> workflow run it there and download its <code>images-&lt;os&gt;</code> artifact; ")
                .Append("then commit <code>").Append(E(imagesRootShown)).Append("/&lt;os&gt;/</code> and run the course again.</div>\n");
        }

        foreach (var problem in comparison.Problems)
        {
            page.Append("<p class=\"notice\">Skipped: ").Append(E(problem)).Append("</p>\n");
        }

        foreach (var emulated in comparison.Oses.Where(o => o.IsEmulation))
        {
            page.Append("<p class=\"notice emulation\"><strong>").Append(E(emulated.Os)).Append(":</strong> ").Append(E(emulated.Emulation!))
                .Append(". Its column stands apart: its outcomes are never counted as Windows' and never make a row differ; the real Windows run decides.</p>\n");
        }

        if (comparison.Oses.Count == 0)
        {
            page.Append("<p>No results.json found. Run the course first.</p>\n</main>\n</body>\n</html>\n");
            return page.ToString();
        }

        page.Append("<h2>Machines</h2>\n<table class=\"compare machines\">\n<thead><tr><th></th>");
        foreach (var os in comparison.Oses)
        {
            page.Append(Header(os));
        }

        page.Append("</tr></thead>\n<tbody>\n");
        MachineRow(page, comparison, "machine", o => o.Emulation is { } label ? $"{label} ({o.Machine})" : o.Machine);
        MachineRow(page, comparison, "measured", o => Text(o.Results["generated"]));
        var settingNames = comparison.Oses.SelectMany(o => (o.Results["settings"] as JsonObject ?? []).Select(p => p.Key)).Distinct().Order(StringComparer.Ordinal);
        foreach (var name in settingNames)
        {
            MachineRow(page, comparison, name, o => o.Results["settings"]?[name] is JsonNode n ? (n is JsonValue ? n.ToString() : n.ToJsonString()) : null);
        }

        page.Append("</tbody>\n</table>\n");

        var differing = comparison.Rows.Count(r => r.Differs);
        page.Append("<h2>Outcomes</h2>\n<p>").Append(comparison.Rows.Count).Append(" case(s); ")
            .Append(differing).Append(comparison.Oses.Count > 1 ? " differ between the OSes shown." : " can differ only once a second OS is present.").Append("</p>\n")
            .Append("<table class=\"compare outcomes\">\n<thead><tr><th>scenario</th><th>case</th><th>api</th>");
        foreach (var os in comparison.Oses)
        {
            page.Append(Header(os));
        }

        page.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in comparison.Rows)
        {
            page.Append(row.Differs ? "<tr class=\"differs\">" : "<tr>")
                .Append("<td>").Append(E(row.Scenario)).Append("</td><td>").Append(E(row.Case)).Append("</td><td>").Append(E(row.Api)).Append("</td>");
            foreach (var os in comparison.Oses)
            {
                var outcome = row.Outcomes[os.Os];
                page.Append(os.IsEmulation
                    ? $"<td class=\"emulation\">{(outcome is null ? "not measured" : E(outcome))}</td>"
                    : outcome is null
                        ? "<td class=\"missing\">not measured</td>"
                        : row.Differs ? $"<td class=\"differs\">{E(outcome)}</td>" : $"<td>{E(outcome)}</td>");
            }

            page.Append("</tr>\n");
        }

        page.Append("</tbody>\n</table>\n");
        VerdictSection(page, comparison);
        page.Append("</main>\n</body>\n</html>\n");
        return page.ToString();
    }

    // The course's own sentences, judged on each OS from that OS's cases (lib/AddressInUse/Verdicts/README.md).
    private static void VerdictSection(StringBuilder page, OsComparison comparison)
    {
        var rows = comparison.VerdictRows;
        page.Append("<h2 id=\"verdicts\">The course's own sentences</h2>\n<p>")
            .Append(rows.Count).Append(" outcome sentence(s) of the chapters, each judged from the cases measured on that OS: ")
            .Append("<b>holds</b>, <b>does not hold</b> (what was measured instead, in the tooltip), or <b>not measured</b> on that OS.</p>\n");
        if (rows.Count == 0)
        {
            page.Append("<p class=\"notice\">No results.json present carries verdicts yet.</p>\n");
            return;
        }

        page.Append("<table class=\"compare verdicts\">\n<thead><tr><th>sentence</th><th>chapter/paragraph</th><th>about</th>");
        foreach (var os in comparison.Oses)
        {
            page.Append(Header(os));
        }

        page.Append("</tr></thead>\n<tbody>\n");
        foreach (var row in rows)
        {
            var failed = row.Verdicts.Values.Any(v => v?.Verdict == "does_not_hold");
            page.Append(failed ? "<tr class=\"differs\">" : "<tr>")
                .Append("<td>").Append(E(row.Sentence)).Append("</td><td>").Append(E(row.Id)).Append("</td><td>").Append(E(row.About ?? "any")).Append("</td>");
            foreach (var os in comparison.Oses)
            {
                page.Append(row.Verdicts[os.Os] is { } v
                    ? $"<td class=\"verdict {E(v.Verdict.Replace('_', '-'))}\" title=\"{E(v.Measured)}\">{E(v.Verdict.Replace('_', ' '))}</td>"
                    : "<td class=\"missing\">no verdict</td>");
            }

            page.Append("</tr>\n");
        }

        page.Append("</tbody>\n</table>\n");
    }

    // An emulation's column is its own group: a separate header class and its label, so no reader takes it for Windows.
    private static string Header(OsResults os) =>
        os.IsEmulation
            ? $"<th class=\"emulation\" title=\"{E(os.Emulation!)}\">{E(os.Os)} (emulation, not Windows)</th>"
            : $"<th>{E(os.Os)}</th>";

    private static void MachineRow(StringBuilder page, OsComparison comparison, string label, Func<OsResults, string?> value)
    {
        var values = comparison.Oses.Select(value).ToList();
        var differs = comparison.Oses.Count > 1 && values.Distinct().Count() > 1;
        page.Append("<tr><th>").Append(E(label)).Append("</th>");
        foreach (var v in values)
        {
            page.Append(v is null ? "<td class=\"missing\">—</td>" : differs ? $"<td class=\"differs\">{E(v)}</td>" : $"<td>{E(v)}</td>");
        }

        page.Append("</tr>\n");
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
