using Markdig;
using Markdig.Renderers;
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
    public string ToHtml(string markdown, Func<string, string?>? inlineImage)
    {
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>())
        {
            if (link.Url is not { } url)
            {
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
