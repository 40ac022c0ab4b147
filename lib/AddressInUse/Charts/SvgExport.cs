using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;

namespace AddressInUse.Charts;

/// <summary>Writes figures as standalone SVG files, drawn by plotly.js in one headless browser launch per batch.</summary>
public static partial class SvgExport
{
    /// <summary>The image width in pixels when the figure's layout sets none.</summary>
    public const int DefaultWidth = 900;

    /// <summary>The image height in pixels when the figure's layout sets none.</summary>
    public const int DefaultHeight = 500;

    // Page time for the whole batch. Virtual time only passes while the page is idle, so this is a
    // bound on timers, not on drawing work; an idle finished page fast-forwards through it.
    private static readonly TimeSpan VirtualTimeBudget = TimeSpan.FromSeconds(60);

    private const string SvgNamespace = "http://www.w3.org/2000/svg";
    private const string PageErrors = "(page)";

    /// <summary>Exports figures, each as <c>&lt;Name&gt;.svg</c>, into <paramref name="directory"/>; returns the written paths.</summary>
    public static Task<IReadOnlyList<string>> ExportAsync(IEnumerable<Figure> figures, string directory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(figures);
        return ExportAsync(figures.Select(f => (f.Name, f.ToJson())).ToList(), directory, ct);
    }

    /// <summary>Exports plotly figure JSON texts as SVG files named <c>FileName</c> (".svg" added if missing); returns the written paths.</summary>
    public static async Task<IReadOnlyList<string>> ExportAsync(
        IReadOnlyList<(string FileName, string FigureJson)> figures,
        string directory,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        if (figures.Count == 0)
        {
            return [];
        }

        var fileNames = CheckFileNames(figures.Select(f => f.FileName).ToList());

        // Broken JSON is found here, before paying for a browser start; plotly's own errors come from the page.
        var failures = new List<(string FileName, string Problem)>();
        var safeJson = new List<string>();
        for (var i = 0; i < figures.Count; i++)
        {
            var problem = CheckFigureJson(figures[i].FigureJson, out var normalised);
            if (problem is not null)
            {
                failures.Add((fileNames[i], problem));
            }

            safeJson.Add(normalised);
        }

        if (failures.Count > 0)
        {
            throw new SvgExportException(failures);
        }

        var page = BuildPage(safeJson);
        var timeout = ChromiumBrowser.DefaultTimeout + TimeSpan.FromSeconds(5 * figures.Count);
        var dom = await ChromiumBrowser.DumpHtmlAsync(page, VirtualTimeBudget, timeout, ct).ConfigureAwait(false);

        var svgs = ParseResults(dom, fileNames, failures);
        if (failures.Count > 0)
        {
            throw new SvgExportException(failures);
        }

        // Everything is checked before the first file is written: a batch succeeds or writes nothing.
        var fullDirectory = Directory.CreateDirectory(Path.GetFullPath(directory)).FullName;
        var written = new List<string>();
        for (var i = 0; i < svgs.Length; i++)
        {
            var path = Path.Combine(fullDirectory, fileNames[i]);
            await File.WriteAllTextAsync(path, svgs[i], new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), ct).ConfigureAwait(false);
            written.Add(path);
        }

        return written;
    }

    private static List<string> CheckFileNames(List<string> names)
    {
        // Characters that are invalid in a file name on any of Windows, macOS or Linux, so a
        // notebook run on one machine does not produce names another cannot check out.
        char[] invalid = ['<', '>', ':', '"', '/', '\\', '|', '?', '*'];
        var result = new List<string>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            if (string.IsNullOrWhiteSpace(name) || name.IndexOfAny(invalid) >= 0 || name.Any(char.IsControl) || name.Trim('.').Length == 0)
            {
                throw new ArgumentException(
                    $"'{name}' is not a usable SVG file name; use a plain name such as \"restart-timeline\" (no folders, no <>:\"/\\|?*).",
                    nameof(names));
            }

            var fileName = name.EndsWith(".svg", StringComparison.OrdinalIgnoreCase) ? name : name + ".svg";
            if (!seen.Add(fileName))
            {
                throw new ArgumentException($"Two figures would both be written to '{fileName}'; give each figure its own name.", nameof(names));
            }

            result.Add(fileName);
        }

        return result;
    }

    private static string? CheckFigureJson(string? json, out string normalised)
    {
        normalised = "{}";
        if (json is null)
        {
            return "the figure JSON is null.";
        }

        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            return $"the figure is not valid JSON: {e.Message}";
        }

        if (root is not JsonObject obj)
        {
            return "the figure JSON must be an object {\"data\":[...],\"layout\":{...}}.";
        }

        if (obj["data"] is not (null or JsonArray))
        {
            return "the figure's \"data\" must be an array of traces.";
        }

        if (obj["layout"] is not (null or JsonObject))
        {
            return "the figure's \"layout\" must be an object.";
        }

        // Re-serialised with <, > and & escaped, so it can sit inside the page's <script> safely.
        normalised = obj.ToJsonString();
        return null;
    }

    private static string BuildPage(List<string> figureJson)
    {
        var figures = JsonSerializer.Serialize(figureJson);
        var script = Template
            .Replace("__WIDTH__", DefaultWidth.ToString(CultureInfo.InvariantCulture))
            .Replace("__HEIGHT__", DefaultHeight.ToString(CultureInfo.InvariantCulture))
            .Replace("__FIGURES__", figures);
        return "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>SVG export</title>\n"
               + ChromiumBrowser.ErrorCollectorScript("svg-export.html")
               + "<script>\n" + FigureHtml.ScriptSafeBundle + "\n</script>\n"
               + "</head>\n<body>\n<script>\n" + ChromiumBrowser.Base64Function + script + "</script>\n</body>\n</html>\n";
    }

    // Figures are drawn one after another: plotly.toImage builds a hidden plot per call, and one at
    // a time keeps the page's memory small and any error attributable to its figure. Each SVG is
    // written into the DOM as base64 of its UTF-8 bytes, which survives the DOM dump unchanged.
    private const string Template = """
        (function () {
          var figures = __FIGURES__;
          var errors = [];
          function add(id, text) {
            var pre = document.createElement("pre");
            pre.id = id;
            pre.textContent = text;
            document.body.appendChild(pre);
          }
          function decodeDataUrl(url) {
            var comma = url.indexOf(",");
            var head = url.slice(0, comma), body = url.slice(comma + 1);
            if (/;base64$/i.test(head)) {
              var binary = atob(body), bytes = new Uint8Array(binary.length);
              for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
              return new TextDecoder().decode(bytes);
            }
            return decodeURIComponent(body);
          }
          function message(e) { return e && e.message ? e.message : String(e); }
          function exportOne(i) {
            return Promise.resolve().then(function () {
              if (!window.Plotly) { throw new Error("plotly.js did not load in the export page"); }
              var figure = JSON.parse(figures[i]);
              var layout = figure.layout || {};
              var width = typeof layout.width === "number" && layout.width > 0 ? layout.width : __WIDTH__;
              var height = typeof layout.height === "number" && layout.height > 0 ? layout.height : __HEIGHT__;
              return window.Plotly.toImage({ data: figure.data || [], layout: layout }, { format: "svg", width: width, height: height });
            }).then(function (url) {
              add("aiu-svg-" + i, aiuBase64(decodeDataUrl(url)));
            }, function (e) {
              errors.push({ figure: i, message: message(e) });
            });
          }
          function finish() {
            var pageErrors = window.__aiuPageErrors || [];
            for (var i = 0; i < pageErrors.length; i++) { errors.push({ figure: -1, message: pageErrors[i] }); }
            add("aiu-errors", aiuBase64(JSON.stringify(errors)));
            // The dump would otherwise repeat the 1.5 MB plotly.js source.
            var scripts = document.querySelectorAll("script");
            for (var s = 0; s < scripts.length; s++) { scripts[s].remove(); }
            add("aiu-done", "done");
          }
          var chain = Promise.resolve();
          figures.forEach(function (_, i) { chain = chain.then(function () { return exportOne(i); }); });
          chain.then(finish, function (e) { errors.push({ figure: -1, message: message(e) }); finish(); });
        })();

        """;

    private static string[] ParseResults(string dom, List<string> fileNames, List<(string FileName, string Problem)> failures)
    {
        if (!dom.Contains("<pre id=\"aiu-done\">done</pre>", StringComparison.Ordinal))
        {
            throw new BrowserRunException(
                $"The export page never finished ({fileNames.Count} figure(s) starting with '{fileNames[0]}'): " +
                "plotly.js did not complete within the page-time budget. Try exporting fewer figures at once.");
        }

        var errorsMatch = ErrorsBlock().Match(dom);
        if (errorsMatch.Success)
        {
            using var errors = JsonDocument.Parse(Convert.FromBase64String(errorsMatch.Groups[1].Value));
            foreach (var error in errors.RootElement.EnumerateArray())
            {
                var index = error.GetProperty("figure").GetInt32();
                var text = error.GetProperty("message").GetString() ?? "unknown error";
                failures.Add((index >= 0 && index < fileNames.Count ? fileNames[index] : PageErrors, "the browser reported: " + text));
            }
        }

        var svgs = new string[fileNames.Count];
        foreach (Match m in SvgBlock().Matches(dom))
        {
            var index = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            if (index < svgs.Length)
            {
                svgs[index] = Encoding.UTF8.GetString(Convert.FromBase64String(m.Groups[2].Value));
            }
        }

        for (var i = 0; i < svgs.Length; i++)
        {
            if (failures.Any(f => f.FileName == fileNames[i]))
            {
                continue;
            }

            var problem = svgs[i] is null ? "the browser produced no image for it." : CheckSvg(svgs[i]);
            if (problem is not null)
            {
                failures.Add((fileNames[i], problem));
            }
        }

        return svgs;
    }

    private static string? CheckSvg(string svg)
    {
        if (!svg.StartsWith("<svg", StringComparison.Ordinal))
        {
            return $"the image does not start with <svg but with '{svg[..Math.Min(40, svg.Length)]}'.";
        }

        try
        {
            var root = XDocument.Parse(svg).Root!;
            return root.Name == XName.Get("svg", SvgNamespace)
                ? null
                : $"the image's root element is {root.Name}, not an SVG <svg> in the {SvgNamespace} namespace.";
        }
        catch (XmlException e)
        {
            return $"the image is not well-formed XML, so viewers would reject it: {e.Message}";
        }
    }

    [GeneratedRegex(@"<pre id=""aiu-errors"">([A-Za-z0-9+/=]*)</pre>")]
    private static partial Regex ErrorsBlock();

    [GeneratedRegex(@"<pre id=""aiu-svg-(\d+)"">([A-Za-z0-9+/=]*)</pre>")]
    private static partial Regex SvgBlock();
}
