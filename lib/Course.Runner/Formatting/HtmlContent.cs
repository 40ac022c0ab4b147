namespace Course.Runner.Formatting;

/// <summary>A piece of HTML to show as text/html, as returned by the notebook helper HTML("...").</summary>
public sealed class HtmlContent
{
    /// <summary>Wraps HTML markup.</summary>
    public HtmlContent(string html)
    {
        Html = html ?? "";
    }

    /// <summary>The markup.</summary>
    public string Html { get; }

    /// <summary>Returns the markup.</summary>
    public override string ToString() => Html;
}
