using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AddressInUse.Display;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Html;

/// <summary>A link to another page: its title and relative address.</summary>
public sealed record PageLink(string Title, string Href);

/// <summary>What a chapter page needs besides the notebook: navigation, status and folders for rewriting relative links.</summary>
public sealed class ChapterPageOptions
{
    /// <summary>The page title; when null, the first markdown heading (or <see cref="FallbackTitle"/>).</summary>
    public string? Title { get; init; }

    /// <summary>The title used when the notebook has no markdown heading (usually the file name).</summary>
    public string FallbackTitle { get; init; } = "Notebook";

    /// <summary>The previous chapter, if any.</summary>
    public PageLink? Previous { get; init; }

    /// <summary>The next chapter, if any.</summary>
    public PageLink? Next { get; init; }

    /// <summary>The contents page, if any.</summary>
    public PageLink? Index { get; init; } = new("Contents", "index.html");

    /// <summary>When the run failed: the message shown at the top of the page.</summary>
    public string? FailureMessage { get; init; }

    /// <summary>The notebook's folder: relative links in markdown are resolved from here.</summary>
    public string? SourceDirectory { get; init; }

    /// <summary>The page's folder: resolved links are made relative to it (links to notebooks become links to their pages).</summary>
    public string? OutputDirectory { get; init; }
}

/// <summary>Renders an executed notebook as one self-contained HTML page (markdown, code, outputs, charts drawn with an inlined plotly.js).</summary>
public sealed partial class ChapterPageRenderer
{
    /// <summary>A marker comment placed right before the inlined plotly.js, so tools (and tests) can count it.</summary>
    public const string PlotlyMarker = "<!-- plotly.js (inlined once) -->";

    private readonly IPlotlyScriptSource _plotly;

    /// <summary>Creates a renderer that inlines plotly.js from the given source.</summary>
    public ChapterPageRenderer(IPlotlyScriptSource? plotly = null)
    {
        _plotly = plotly ?? new LibraryPlotlyScriptSource();
    }

    /// <summary>The chapter title: the first markdown heading, else the fallback.</summary>
    public static string TitleOf(InteractiveDocument notebook, string fallback) =>
        notebook.Elements.Where(c => c.IsMarkdown())
            .Select(c => MarkdownRenderer.FirstHeading(c.Contents))
            .FirstOrDefault(t => !string.IsNullOrWhiteSpace(t)) ?? fallback;

    /// <summary>Renders the page.</summary>
    public string Render(InteractiveDocument notebook, ChapterPageOptions options)
    {
        var title = options.Title ?? TitleOf(notebook, options.FallbackTitle);
        var markdown = new MarkdownRenderer(options.SourceDirectory is null || options.OutputDirectory is null
            ? null
            : url => RewriteUrl(url, options.SourceDirectory, options.OutputDirectory));
        var hasCharts = notebook.Elements.SelectMany(c => c.Outputs).MimeData().Any(data => data.ContainsKey(MimeTypes.Plotly));
        var plotlyScript = hasCharts ? _plotly.Script : null;

        var body = new StringBuilder();
        if (options.FailureMessage is not null)
        {
            body.Append("<div class=\"run-failed\"><strong>This chapter did not run to the end.</strong><br>")
                .Append(Encode(options.FailureMessage)).Append("</div>\n");
        }

        var verdictMarks = VerdictMarks(notebook);
        var chartNumber = 0;
        for (var i = 0; i < notebook.Elements.Count; i++)
        {
            var cell = notebook.Elements[i];
            if (NavigationCell.IsNavigation(cell))
            {
                // The page draws its own navigation from the chapter list; the notebook's copy would repeat it.
                continue;
            }

            var anchor = Encode("cell-" + (cell.Id ?? (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            switch (cell.CellTypeName())
            {
                case "markdown":
                    body.Append($"<section class=\"cell markdown\" id=\"{anchor}\">\n")
                        .Append(markdown.ToHtml(cell.Contents, url => InlineImage(url, cell, options.SourceDirectory), paragraph => verdictMarks.GetValueOrDefault(paragraph, VerdictMark.For(null))))
                        .Append("</section>\n");
                    break;
                case "code":
                    var prompt = cell.ExecutionOrder > 0 ? $"[{cell.ExecutionOrder}]" : "[ ]";
                    var code = $"<pre><code class=\"language-csharp\">{Encode(cell.Contents)}</code></pre>";
                    if (VerdictCells.IsSourceHidden(cell))
                    {
                        // A verdict cell: the reader sees its verdict; the checking code waits behind a disclosure.
                        body.Append($"<section class=\"cell code source-hidden\" id=\"{anchor}\">\n<details class=\"source\"><summary>show the check {prompt}</summary>{code}</details>\n");
                    }
                    else
                    {
                        body.Append($"<section class=\"cell code\" id=\"{anchor}\">\n<div class=\"source\"><div class=\"prompt\">{prompt}</div>{code}</div>\n");
                    }
                    if (cell.Outputs.Count > 0)
                    {
                        body.Append("<div class=\"outputs\">\n");
                        foreach (var output in cell.Outputs)
                        {
                            body.Append(RenderOutput(output, plotlyScript is not null, ref chartNumber, markdown)).Append('\n');
                        }

                        body.Append("</div>\n");
                    }

                    body.Append("</section>\n");
                    break;
                default:
                    body.Append($"<section class=\"cell raw\" id=\"{anchor}\"><pre>{Encode(cell.Contents)}</pre></section>\n");
                    break;
            }
        }

        var page = new StringBuilder();
        page.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<meta name=\"generator\" content=\"course runner\">\n")
            .Append("<title>").Append(Encode(title)).Append("</title>\n")
            .Append("<style>\n").Append(PageStyles.Css).Append("\n</style>\n");
        if (plotlyScript is not null)
        {
            page.Append(PlotlyMarker).Append("\n<script>\n").Append(ScriptSafe(plotlyScript)).Append("\n</script>\n");
        }

        page.Append("</head>\n<body>\n")
            .Append(Navigation(options, "top"))
            .Append("<main>\n").Append(body).Append("</main>\n")
            .Append(Navigation(options, "bottom"))
            .Append("</body>\n</html>\n");
        return page.ToString();
    }

    /// <summary>
    /// The mark each verdict paragraph of the run earns, from the verdicts its outputs carry: when one paragraph has
    /// several verdicts (one per OS), the weakest decides (does not hold, then not measured, then holds).
    /// </summary>
    public static IReadOnlyDictionary<string, VerdictMark> VerdictMarks(InteractiveDocument executed)
    {
        static int Rank(string? name) => name switch { "does_not_hold" => 0, "not_measured" => 1, "holds" => 2, _ => 1 };
        return Results.ResultsAggregator.CollectVerdicts(executed, "page")
            .Where(v => v["paragraph"] is JsonValue p && p.TryGetValue<string>(out _))
            .GroupBy(v => v["paragraph"]!.GetValue<string>(), StringComparer.Ordinal)
            .ToDictionary(
                g => g.Key,
                g => VerdictMark.For(g.Select(v => v["verdict"] is JsonValue n && n.TryGetValue<string>(out var name) ? name : null).MinBy(Rank)),
                StringComparer.Ordinal);
    }

    /// <summary>Makes a relative link from a notebook usable from the page: resolved from the notebook's folder, links to .ipynb chapters become their .html pages.</summary>
    public static string RewriteUrl(string url, string sourceDirectory, string outputDirectory)
    {
        var cut = url.IndexOfAny(['#', '?']);
        var path = cut >= 0 ? url[..cut] : url;
        var suffix = cut >= 0 ? url[cut..] : "";
        if (path.Length == 0)
        {
            return url;
        }

        var full = Path.GetFullPath(Path.Combine(sourceDirectory, Uri.UnescapeDataString(path)));
        if (full.EndsWith(".ipynb", StringComparison.OrdinalIgnoreCase)
            && string.Equals(Path.GetDirectoryName(full), Path.GetFullPath(sourceDirectory).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
        {
            // Every chapter gets a page beside this one; link the page rather than the raw notebook.
            return Uri.EscapeDataString(Path.GetFileNameWithoutExtension(full)) + ".html" + suffix;
        }

        var relative = Path.GetRelativePath(Path.GetFullPath(outputDirectory), full).Replace(Path.DirectorySeparatorChar, '/');
        return string.Join('/', relative.Split('/').Select(Uri.EscapeDataString)) + suffix;
    }

    /// <summary>
    /// The data: URI of a markdown image: a cell attachment (<c>attachment:name</c>) or a file beside the notebook, so the page
    /// needs no other file; null when there is no such attachment or file.
    /// </summary>
    public static string? InlineImage(string url, InteractiveDocumentElement cell, string? sourceDirectory)
    {
        if (url.StartsWith(MarkdownRenderer.AttachmentScheme, StringComparison.Ordinal))
        {
            var name = Uri.UnescapeDataString(url[MarkdownRenderer.AttachmentScheme.Length..]);
            if (cell.Attachments()?.TryGetValue(name, out var attachment) != true || attachment is not IDictionary<string, object> bundle)
            {
                return null;
            }
            foreach (var (mime, value) in bundle)
            {
                // nbformat stores an attachment base64-encoded, as one string or a list of lines.
                var base64 = value switch
                {
                    string text => text,
                    IEnumerable<object> lines => string.Concat(lines.OfType<string>()),
                    _ => null,
                };
                if (base64 is not null)
                {
                    return $"data:{mime};base64,{Regex.Replace(base64, "\\s", "")}";
                }
            }
            return null;
        }
        if (sourceDirectory is null)
        {
            return null;
        }
        var cut = url.IndexOfAny(['#', '?']);
        var path = Path.GetFullPath(Path.Combine(sourceDirectory, Uri.UnescapeDataString(cut >= 0 ? url[..cut] : url)));
        var type = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".svg" => "image/svg+xml",
            ".png" => "image/png",
            ".jpg" or ".jpeg" => "image/jpeg",
            ".gif" => "image/gif",
            ".webp" => "image/webp",
            _ => null,
        };
        return type is null || !File.Exists(path) ? null : $"data:{type};base64,{Convert.ToBase64String(File.ReadAllBytes(path))}";
    }

    private static string Navigation(ChapterPageOptions options, string position)
    {
        if (options.Previous is null && options.Next is null && options.Index is null)
        {
            return "";
        }

        var nav = new StringBuilder($"<nav class=\"chapter-nav {position}\">");
        nav.Append(options.Previous is { } p ? $"<a rel=\"prev\" href=\"{Encode(p.Href)}\">← {Encode(p.Title)}</a>" : "<span></span>");
        nav.Append(options.Index is { } i ? $"<a rel=\"index\" href=\"{Encode(i.Href)}\">{Encode(i.Title)}</a>" : "<span></span>");
        nav.Append(options.Next is { } n ? $"<a rel=\"next\" href=\"{Encode(n.Href)}\">{Encode(n.Title)} →</a>" : "<span></span>");
        return nav.Append("</nav>\n").ToString();
    }

    private static string RenderOutput(InteractiveDocumentOutputElement output, bool canDrawCharts, ref int chartNumber, MarkdownRenderer markdown)
    {
        switch (output)
        {
            case TextElement stream:
                return $"<div class=\"output stream\"><pre class=\"{Encode(stream.Name)}\">{Encode(StripAnsi(stream.Text))}</pre></div>";
            case ErrorElement error:
                var trace = error.StackTrace.Length > 0 ? string.Join("\n", error.StackTrace.Select(StripAnsi)) : "";
                var details = trace.Length > 0 && trace != error.ErrorValue ? $"<pre>{Encode(trace)}</pre>" : "";
                return $"<div class=\"output error\"><strong>{Encode(error.ErrorName)}</strong>: {Encode(error.ErrorValue)}{details}</div>";
            case var mime when mime.TryGetData(out var data):
                return $"<div class=\"output {Encode(mime.OutputType())}\">{RenderBundle(data, canDrawCharts, ref chartNumber, markdown)}</div>";
            default:
                return "";
        }
    }

    private static string RenderBundle(IDictionary<string, object> data, bool canDrawCharts, ref int chartNumber, MarkdownRenderer markdown)
    {
        if (data.TryGetJson(MimeTypes.Plotly, out var figure) && figure is JsonObject)
        {
            if (canDrawCharts)
            {
                chartNumber++;
                var id = $"chart-{chartNumber}";
                // ToJsonString's default encoder escapes <, > and &, so the figure cannot close the script element.
                return $"<div class=\"plotly-chart\" id=\"{id}\"></div>\n<script>(function () {{ var figure = {figure.ToJsonString()}; "
                       + $"Plotly.newPlot(\"{id}\", figure.data || [], figure.layout || {{}}, {{ responsive: true, displaylogo: false }}); }})();</script>";
            }

            if (!data.ContainsKey(AddressInUse.Display.MimeTypes.Html) && !data.ContainsKey(AddressInUse.Display.MimeTypes.Svg))
            {
                return "<p class=\"notice\">(chart not drawn: plotly.js is not available to the course runner; the figure data follows)</p>"
                       + $"<details><summary>figure JSON</summary><pre>{Encode(figure.ToJsonString(new() { WriteIndented = true }))}</pre></details>";
            }
        }

        if (data.TryGetText(AddressInUse.Display.MimeTypes.Html, out var html))
        {
            return html;
        }

        if (data.TryGetText(AddressInUse.Display.MimeTypes.Svg, out var svg))
        {
            return svg;
        }

        foreach (var image in new[] { "image/png", "image/jpeg", "image/gif" })
        {
            if (data.TryGetText(image, out var base64))
            {
                return $"<img alt=\"output image\" src=\"data:{image};base64,{Encode(base64.Replace("\n", ""))}\">";
            }
        }

        if (data.TryGetText("text/markdown", out var md))
        {
            return markdown.ToHtml(md);
        }

        if (data.TryGetText(MimeTypes.Text, out var text))
        {
            return $"<pre>{Encode(StripAnsi(text))}</pre>";
        }

        var json = data.Keys.FirstOrDefault(NotebookOutputs.IsJsonMimeType);
        if (json is not null && data.TryGetJson(json, out var node) && node is not null)
        {
            return $"<details><summary>{Encode(json)}</summary><pre>{Encode(node.ToJsonString(new() { WriteIndented = true }))}</pre></details>";
        }

        return "";
    }

    private static string ScriptSafe(string script) =>
        Regex.Replace(script, "</script", "<\\/script", RegexOptions.IgnoreCase);

    private static string StripAnsi(string text) => AnsiEscape().Replace(text, "");

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    [GeneratedRegex("\u001b\\[[0-9;]*[A-Za-z]")]
    private static partial Regex AnsiEscape();
}
