using Markdig;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace Course.Runner.Html;

/// <summary>Renders notebook markdown with Markdig (advanced extensions: pipe tables, emphasis extras, auto ids) and rewrites relative links for the output folder.</summary>
public sealed class MarkdownRenderer
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();
    private readonly Func<string, string>? _rewriteRelativeUrl;

    /// <summary>Creates a renderer; rewriteRelativeUrl (optional) maps each relative link or image URL to the one the page should use.</summary>
    public MarkdownRenderer(Func<string, string>? rewriteRelativeUrl = null)
    {
        _rewriteRelativeUrl = rewriteRelativeUrl;
    }

    /// <summary>The plain text of the first heading in the markdown, or null when there is none.</summary>
    public static string? FirstHeading(string markdown)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        var heading = document.Descendants<HeadingBlock>().FirstOrDefault();
        return heading?.Inline is null ? null : PlainText(heading.Inline).Trim();
    }

    /// <summary>Renders markdown to an HTML fragment.</summary>
    public string ToHtml(string markdown) => ToHtml(markdown, null);

    /// <summary>
    /// Renders markdown to an HTML fragment; <paramref name="inlineImage"/> (optional) turns an image's relative or
    /// <c>attachment:</c> URL into the data: URI the page carries instead (null leaves the URL as it is).
    /// </summary>
    public string ToHtml(string markdown, Func<string, string?>? inlineImage) => ToHtml(markdown, inlineImage, null);

    /// <summary>
    /// Renders markdown to an HTML fragment, as <see cref="ToHtml(string, Func{string, string?})"/>; a verdict link's ✓
    /// (<c>[✓](#verdict-ID)</c>) is replaced by the mark <paramref name="verdictMark"/> gives for ID (null keeps the ✓).
    /// </summary>
    public string ToHtml(string markdown, Func<string, string?>? inlineImage, Func<string, VerdictMark?>? verdictMark)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (link.Url is not { } url)
            {
                continue;
            }
            if (verdictMark is not null && url.StartsWith(VerdictAnchorPrefix, StringComparison.Ordinal)
                && link.FirstChild is LiteralInline { NextSibling: null } text && text.Content.ToString() == HoldsMark
                && verdictMark(url[VerdictAnchorPrefix.Length..]) is { } mark)
            {
                // The author writes ✓ for "bound to a verdict"; the reader must see what that verdict found in this run.
                text.Content = new Markdig.Helpers.StringSlice(mark.Symbol);
                link.Title = mark.Title;
                link.GetAttributes().AddClass(mark.CssClass);
                continue;
            }
            if (link.IsImage && inlineImage is not null && (IsRelative(url) || url.StartsWith(AttachmentScheme, StringComparison.Ordinal)) && inlineImage(url) is { } data)
            {
                // The image travels inside the page, so a page copied anywhere shows it.
                link.Url = data;
            }
            else if (_rewriteRelativeUrl is not null && IsRelative(url) && !url.StartsWith(AttachmentScheme, StringComparison.Ordinal))
            {
                link.Url = _rewriteRelativeUrl(url);
            }
        }

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.Render(document);
        writer.Flush();
        return writer.ToString();
    }

    /// <summary>The mark an author writes on a sentence bound to a verdict: <c>[✓](#verdict-ID)</c>.</summary>
    public const string HoldsMark = "✓";

    /// <summary>The fragment that starts a link to a verdict line of the same page.</summary>
    public const string VerdictAnchorPrefix = "#verdict-";

    /// <summary>The URL scheme of a markdown cell's own attachments (nbformat), e.g. <c>attachment:diagram.svg</c>.</summary>
    public const string AttachmentScheme = "attachment:";

    /// <summary>True for URLs that point to a file relative to the notebook (no scheme, not absolute, not a fragment).</summary>
    public static bool IsRelative(string url) =>
        url.Length > 0 && url[0] != '#' && url[0] != '/' && url[0] != '\\' && !url.Contains("://", StringComparison.Ordinal)
        && !url.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) && !url.StartsWith("data:", StringComparison.OrdinalIgnoreCase);

    private static string PlainText(ContainerInline container)
    {
        var text = new System.Text.StringBuilder();
        foreach (var inline in container)
        {
            switch (inline)
            {
                case LiteralInline literal:
                    text.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
                case LineBreakInline:
                    text.Append(' ');
                    break;
                case ContainerInline inner:
                    text.Append(PlainText(inner));
                    break;
            }
        }

        return text.ToString();
    }
}

/// <summary>What a verdict link shows: its symbol, the tooltip that says what it means, and a CSS class for its colour.</summary>
/// <param name="Symbol">"✓" when the verdict holds, "○" when it was not measured, "✘" when it does not hold.</param>
/// <param name="Title">The verdict's state in words.</param>
/// <param name="CssClass">"verdict-mark holds", "verdict-mark not-measured" or "verdict-mark does-not-hold".</param>
public sealed record VerdictMark(string Symbol, string Title, string CssClass)
{
    /// <summary>The mark for a results.json verdict name ("holds", "does_not_hold", "not_measured"); a verdict absent from the run is shown as not measured.</summary>
    public static VerdictMark For(string? verdictName) => verdictName switch
    {
        "holds" => new("✓", "holds on this machine (see the verdict line)", "verdict-mark holds"),
        "does_not_hold" => new("✘", "does not hold on this machine (see the verdict line)", "verdict-mark does-not-hold"),
        "not_measured" => new("○", "not measured here (see the verdict line)", "verdict-mark not-measured"),
        _ => new("○", "this run showed no verdict for this sentence", "verdict-mark not-measured"),
    };
}
