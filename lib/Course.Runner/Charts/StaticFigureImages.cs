using System.Text;
using System.Text.Json.Nodes;
using AddressInUse.Display;
using Course.Runner.Notebooks;
using Microsoft.DotNet.Interactive.Documents;

namespace Course.Runner.Charts;

/// <summary>
/// Puts each exported chart image into its figure's output of the executed notebook, so a viewer that runs no script (untrusted
/// Jupyter, GitHub, nbviewer) still draws the chart: the SVG as image/svg+xml, and the same image at the head of the figure's
/// text/html (untrusted Jupyter shows sanitized HTML before any image type), removed by a script wherever scripts run and plotly draws.
/// </summary>
public static class StaticFigureImages
{
    /// <summary>The MIME type of the static image.</summary>
    public const string SvgMimeType = "image/svg+xml";

    /// <summary>The class of the element that holds the static copy inside the figure's HTML.</summary>
    public const string FallbackClass = "course-static-figure";

    /// <summary>Attaches each chart's image file (as <see cref="ChartCollector.Collect"/> named them, in the same order) to its figure output; returns how many were attached.</summary>
    public static int Attach(InteractiveDocument executed, IReadOnlyList<(string fileName, string figureJson)> charts, string directory)
    {
        var index = 0;
        var attached = 0;
        foreach (var data in executed.Elements.SelectMany(c => c.Outputs).MimeData())
        {
            // The same rule as ChartCollector.Collect, so the n-th figure here is the n-th chart there.
            if (!data.TryGetJson(MimeTypes.Plotly, out var figure) || figure is not JsonObject)
            {
                continue;
            }
            if (index >= charts.Count)
            {
                break;
            }
            var path = Path.Combine(directory, charts[index++].fileName);
            if (!File.Exists(path))
            {
                continue;
            }
            var svg = File.ReadAllText(path);
            data[SvgMimeType] = svg;
            var html = data.TryGetText(MimeTypes.Html, out var text) ? text : "";
            data[MimeTypes.Html] = WithFallback(html, svg, index);
            attached++;
        }
        return attached;
    }

    /// <summary>The figure's HTML headed by the static image, and a script that removes it where scripts run (plotly then draws the live chart).</summary>
    public static string WithFallback(string figureHtml, string svg, int number)
    {
        if (figureHtml.Contains(FallbackClass, StringComparison.Ordinal))
        {
            return figureHtml;
        }
        // An id, not document.currentScript: Jupyter inserts output HTML with jQuery, which runs scripts without a currentScript.
        var id = $"{FallbackClass}-{number}-{Guid.NewGuid():N}";
        var data = Convert.ToBase64String(Encoding.UTF8.GetBytes(svg));
        return $"<div class=\"{FallbackClass}\" id=\"{id}\"><img alt=\"chart (static copy)\" style=\"max-width:100%\" src=\"data:{SvgMimeType};base64,{data}\"></div>"
             + $"<script>(function(){{var e=document.getElementById('{id}');if(e){{e.remove();}}}})();</script>"
             + figureHtml;
    }
}
