namespace AddressInUse.Display;

/// <summary>The MIME types the course's values are displayed as: the one table the lab, the runner's pages, image export and results aggregation share.</summary>
public static class MimeTypes
{
    /// <summary>HTML for notebook outputs and chapter pages.</summary>
    public const string Html = "text/html";

    /// <summary>An SVG image (static chart images, and outputs that front ends show as images).</summary>
    public const string Svg = "image/svg+xml";

    /// <summary>Plain text.</summary>
    public const string Text = "text/plain";

    /// <summary>A plotly.js figure ({data, layout}), which Jupyter front ends and the course runner draw natively.</summary>
    public const string Plotly = "application/vnd.plotly.v1+json";

    /// <summary>Measured cases (a JSON array) that the course runner gathers into images/&lt;os&gt;/results.json.</summary>
    public const string Cases = "application/vnd.course.cases+json";

    /// <summary>The verdict on one sentence of the course's own text (a JSON object) that the course runner gathers into results.json.</summary>
    public const string Verdicts = "application/vnd.course.verdicts+json";

    /// <summary>Settings read from the OS (a JSON object) that the course runner records in results.json.</summary>
    public const string Settings = "application/vnd.course.settings+json";
}
