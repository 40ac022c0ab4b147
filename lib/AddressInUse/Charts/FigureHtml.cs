using System.Net;
using System.Text;
using System.Text.Json;

namespace AddressInUse.Charts;

/// <summary>Renders figures as HTML that draws them with the embedded plotly.js bundle, never a CDN.</summary>
public static partial class FigureHtml
{
    // 1 once a notebook output of this process has carried the bundle; later outputs only wait for it.
    private static int _bundleSentToNotebook;

    // How long a figure waits for window.Plotly before it says why it cannot draw. Notebook outputs
    // render asynchronously, so the output carrying the bundle may run a little after this one.
    private const int WaitForPlotlyMilliseconds = 30_000;

    private static readonly Lazy<string> LazyScriptSafeBundle = new(() =>
        // "</script" inside the bundle would end the inline <script> element early; "<\/" means the
        // same to JavaScript in strings and regular expressions (the current bundle has none).
        PlotlyBundle.Script.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase));

    /// <summary>Returns a <c>&lt;div&gt;</c> with a unique id and a script that draws the figure into it, optionally preceded by the bundle.</summary>
    public static string Fragment(Figure figure, bool includeBundle)
    {
        ArgumentNullException.ThrowIfNull(figure);
        var html = new StringBuilder();
        if (includeBundle)
        {
            html.Append(GuardedBundleScript());
        }

        // Ids must be unique across the whole page: a notebook's outputs from earlier runs and
        // earlier kernel processes share one page with this one.
        var id = $"aiu-plot-{figure.Name}-{Guid.NewGuid():N}";
        html.Append("<div id=\"").Append(id).Append("\" class=\"aiu-figure\" data-figure=\"")
            .Append(WebUtility.HtmlEncode(figure.Name)).Append("\"></div>\n");
        html.Append("<script>\n").Append(DrawScript(id, figure)).Append("</script>\n");
        return html.ToString();
    }

    /// <summary>Returns HTML for a Polyglot Notebooks output: the first figure of this process carries the bundle, later ones wait for it.</summary>
    public static string ForNotebook(Figure figure)
    {
        ArgumentNullException.ThrowIfNull(figure);

        // VS Code renders all outputs of a notebook in one webview page, so one copy of plotly.js
        // serves every later output; the guard skips it if a previous kernel already loaded it.
        var first = Interlocked.Exchange(ref _bundleSentToNotebook, 1) == 0;
        return Fragment(figure, includeBundle: first);
    }

    /// <summary>Makes the next <see cref="ForNotebook"/> output carry the bundle again (after clearing the output that had it).</summary>
    public static void ResetNotebookBundle() => Interlocked.Exchange(ref _bundleSentToNotebook, 0);

    /// <summary>Returns a complete, self-contained HTML page (bundle inline) that draws the figures one below the other.</summary>
    public static string Page(string title, IEnumerable<Figure> figures)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(figures);
        var encodedTitle = WebUtility.HtmlEncode(title);
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
            .Append("<title>").Append(encodedTitle).Append("</title>\n")
            .Append("<style>body{font-family:system-ui,-apple-system,\"Segoe UI\",sans-serif;max-width:1100px;margin:1.5rem auto;padding:0 1rem}")
            .Append(".aiu-figure{margin:1.5rem 0}</style>\n")
            .Append(GuardedBundleScript())
            .Append("</head>\n<body>\n<h1>").Append(encodedTitle).Append("</h1>\n");
        foreach (var figure in figures)
        {
            html.Append(Fragment(figure, includeBundle: false));
        }

        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>The bundle as an inline script that runs only when the page has no plotly.js yet.</summary>
    internal static string GuardedBundleScript() =>
        // Running the bundle twice would replace window.Plotly under charts already drawn.
        "<script>\nif (!window.Plotly) {\n" + LazyScriptSafeBundle.Value + "\n}\n</script>\n";

    /// <summary>The bundle as an inline script, escaped so that it cannot end its script element early.</summary>
    internal static string ScriptSafeBundle => LazyScriptSafeBundle.Value;

    private static string DrawScript(string id, Figure figure)
    {
        var missing = $"plotly.js is not loaded on this page, so the chart '{figure.Name}' cannot be drawn " +
                      "(the output that carried plotly.js was cleared or never ran). " +
                      "Run AddressInUse.Charts.FigureHtml.ResetNotebookBundle() and display the chart again.";
        var values = new Dictionary<string, string>
        {
            ["__ID__"] = JsonSerializer.Serialize(id),
            ["__NAME__"] = JsonSerializer.Serialize(figure.Name),
            ["__WAIT__"] = WaitForPlotlyMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["__MISSING__"] = JsonSerializer.Serialize(missing),
            ["__FIGURE__"] = figure.ToJson(),
        };

        // One pass, so that text inside a value (a label saying "__ID__") is never substituted again.
        return Placeholder().Replace(DrawTemplate, m => values[m.Value]);
    }

    [System.Text.RegularExpressions.GeneratedRegex("__(ID|NAME|WAIT|MISSING|FIGURE)__")]
    private static partial System.Text.RegularExpressions.Regex Placeholder();

    // Polls with setTimeout rather than requestAnimationFrame: animation frames stop in a hidden
    // webview, timers do not. The figure JSON is HTML-safe (System.Text.Json escapes <, >, &).
    private const string DrawTemplate = """
        (function () {
          var id = __ID__, name = __NAME__, figure = __FIGURE__;
          var deadline = Date.now() + __WAIT__;
          // The output may live in a shadow root; currentScript is only known while this runs.
          var script = document.currentScript;
          var root = script && script.getRootNode ? script.getRootNode() : document;
          function draw() {
            var el = (root.getElementById ? root.getElementById(id) : null) || document.getElementById(id);
            if (!el) { return; }
            if (!window.Plotly) {
              if (Date.now() < deadline) { setTimeout(draw, 50); return; }
              el.textContent = __MISSING__;
              throw new Error(__MISSING__);
            }
            var drawn = window.Plotly.newPlot(el, figure.data, figure.layout, { responsive: true, displaylogo: false });
            if (drawn && typeof drawn.catch === "function") {
              drawn.catch(function (e) {
                el.appendChild(document.createTextNode("Chart '" + name + "' could not be drawn: " + e));
                throw e;
              });
            }
          }
          draw();
        })();

        """;
}
