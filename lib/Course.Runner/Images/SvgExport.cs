using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using System.Xml.Linq;
using AddressInUse.Charts;
using Course.Runner.IO;
using PuppeteerSharp;

namespace Course.Runner.Images;

/// <summary>Writes plotly figures as standalone SVG files with <c>Plotly.toImage</c>, one figure at a time, in one page of one headless browser.</summary>
public sealed class SvgExport : IAsyncDisposable
{
    /// <summary>The image width in pixels when the figure's layout sets none.</summary>
    public const int DefaultWidth = 900;

    /// <summary>The image height in pixels when the figure's layout sets none.</summary>
    public const int DefaultHeight = 500;

    /// <summary>How long one figure may take to draw before the export gives up on it.</summary>
    public static TimeSpan FigureTimeout { get; } = TimeSpan.FromSeconds(60);

    private const string SvgNamespace = "http://www.w3.org/2000/svg";

    private readonly HeadlessBrowser _browser;
    private readonly bool _ownsBrowser;
    private IPage? _page;

    /// <summary>Exports with <paramref name="browser"/>; the caller keeps owning it unless <paramref name="ownsBrowser"/>.</summary>
    public SvgExport(HeadlessBrowser browser, bool ownsBrowser = false)
    {
        _browser = browser;
        _ownsBrowser = ownsBrowser;
    }

    /// <summary>Exports figures in a browser of their own that is ended afterwards; see <see cref="ExportAsync(IReadOnlyList{ValueTuple{string, string}}, string, CancellationToken)"/>.</summary>
    public static async Task<IReadOnlyList<string>> ExportOnceAsync(IReadOnlyList<(string FileName, string FigureJson)> figures, string directory, CancellationToken ct = default)
    {
        Check(figures, directory);
        if (figures.Count == 0)
        {
            return [];
        }

        await using var export = new SvgExport(await HeadlessBrowser.LaunchAsync(ct: ct).ConfigureAwait(false), ownsBrowser: true);
        return await export.ExportAsync(figures, directory, ct).ConfigureAwait(false);
    }

    /// <summary>Exports figures, each as <c>&lt;Name&gt;.svg</c>, into <paramref name="directory"/>; returns the written paths.</summary>
    public Task<IReadOnlyList<string>> ExportAsync(IEnumerable<Figure> figures, string directory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(figures);
        return ExportAsync(figures.Select(f => (f.Name, f.ToJson())).ToList(), directory, ct);
    }

    /// <summary>Exports plotly figure JSON texts as SVG files named <c>FileName</c> (".svg" added if missing); all are written or none; returns the written paths.</summary>
    /// <exception cref="SvgExportException">A figure is broken or plotly.js could not draw it; nothing was written.</exception>
    public async Task<IReadOnlyList<string>> ExportAsync(
        IReadOnlyList<(string FileName, string FigureJson)> figures,
        string directory,
        CancellationToken ct = default)
    {
        var (fileNames, safeJson) = Check(figures, directory);
        if (figures.Count == 0)
        {
            return [];
        }

        var failures = new List<(string FileName, string Problem)>();
        var svgs = new string[figures.Count];
        var page = await PageAsync(ct).ConfigureAwait(false);
        for (var i = 0; i < figures.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                var svg = await page.EvaluateFunctionAsync<string>(ToSvgFunction, safeJson[i], DefaultWidth, DefaultHeight)
                    .WaitAsync(FigureTimeout, ct).ConfigureAwait(false);
                svgs[i] = svg;
                if (CheckSvg(svg) is { } problem)
                {
                    failures.Add((fileNames[i], problem));
                }
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                // The page may still be busy with this figure: the next export starts on a fresh one.
                await DropPageAsync().ConfigureAwait(false);
                if (e is OperationCanceledException)
                {
                    throw;
                }

                failures.Add((fileNames[i], $"plotly.js did not finish drawing it within {FigureTimeout.TotalSeconds:0} s."));
                page = await PageAsync(ct).ConfigureAwait(false);
            }
            catch (PuppeteerException e)
            {
                failures.Add((fileNames[i], "the browser reported: " + FirstLine(e.Message)));
                if (page.IsClosed || !_browser.IsConnected)
                {
                    await DropPageAsync().ConfigureAwait(false);
                    throw new SvgExportException(failures);
                }
            }
        }

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
            // A kill mid-write must not leave a truncated committed image.
            ct.ThrowIfCancellationRequested();
            AtomicFile.WriteAllText(path, svgs[i]);
            written.Add(path);
        }

        return written;
    }

    /// <summary>Closes the export page, and the browser when this export owns it.</summary>
    public async ValueTask DisposeAsync()
    {
        await DropPageAsync().ConfigureAwait(false);
        if (_ownsBrowser)
        {
            await _browser.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static (List<string> FileNames, List<string> SafeJson) Check(IReadOnlyList<(string FileName, string FigureJson)> figures, string directory)
    {
        ArgumentNullException.ThrowIfNull(figures);
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var fileNames = CheckFileNames(figures.Select(f => f.FileName).ToList());

        // Broken JSON is found here, before the browser is asked; plotly's own errors come from the page.
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

        return failures.Count > 0 ? throw new SvgExportException(failures) : (fileNames, safeJson);
    }

    private async Task<IPage> PageAsync(CancellationToken ct)
    {
        if (_page is { IsClosed: false })
        {
            return _page;
        }

        // plotly.js is loaded once per page; every later figure of the run reuses it.
        var page = await _browser.NewPageAsync().WaitAsync(ct).ConfigureAwait(false);
        await page.SetContentAsync("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>SVG export</title></head><body></body></html>").WaitAsync(ct).ConfigureAwait(false);
        await page.AddScriptTagAsync(new AddTagOptions { Content = PlotlyBundle.Script }).WaitAsync(ct).ConfigureAwait(false);
        _page = page;
        return page;
    }

    private async Task DropPageAsync()
    {
        var page = Interlocked.Exchange(ref _page, null);
        if (page is null)
        {
            return;
        }

        try
        {
            await page.CloseAsync(new PageCloseOptions { RunBeforeUnload = false }).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // A hung page goes with its browser.
        }
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n');
        return (end < 0 ? text : text[..end]).Trim();
    }

    // Plotly.toImage builds a hidden plot per call and resolves with a data URL; one figure at a time
    // keeps the page's memory small and any error attributable to its figure.
    private const string ToSvgFunction = """
        async (json, defaultWidth, defaultHeight) => {
          if (!window.Plotly) { throw new Error("plotly.js did not load in the export page"); }
          const figure = JSON.parse(json);
          const layout = figure.layout || {};
          const width = typeof layout.width === "number" && layout.width > 0 ? layout.width : defaultWidth;
          const height = typeof layout.height === "number" && layout.height > 0 ? layout.height : defaultHeight;
          const url = await window.Plotly.toImage({ data: figure.data || [], layout: layout }, { format: "svg", width: width, height: height });
          const comma = url.indexOf(",");
          const head = url.slice(0, comma), body = url.slice(comma + 1);
          if (/;base64$/i.test(head)) {
            const binary = atob(body), bytes = new Uint8Array(binary.length);
            for (let i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
            return new TextDecoder().decode(bytes);
          }
          return decodeURIComponent(body);
        }
        """;

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

        // Re-serialised, so the page parses exactly what was checked here.
        normalised = obj.ToJsonString();
        return null;
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
}
