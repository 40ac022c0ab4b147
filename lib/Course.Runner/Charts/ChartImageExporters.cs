using Course.Runner.Images;

namespace Course.Runner.Charts;

/// <summary>Chooses the chart image exporter the runner uses.</summary>
public static class ChartImageExporters
{
    /// <summary>The exporter for a run: SVGs drawn by plotly.js in the system's headless Chromium-family browser.</summary>
    public static IChartImageExporter Default(TextWriter log) => new SvgChartImageExporter(log);
}

/// <summary>
/// Writes chart images with <see cref="SvgExport"/> in one headless browser for the whole run, started at the
/// first chart and ended on dispose; without a browser it says so once and every chapter goes on without images.
/// </summary>
public sealed class SvgChartImageExporter(TextWriter log, string? browserExecutable = null) : IChartImageExporter
{
    private HeadlessBrowser? _browser;
    private SvgExport? _export;
    private Exception? _launchFailure;

    /// <inheritdoc />
    /// <exception cref="BrowserNotFoundException">No Chromium-family browser is installed (the same exception again for later chapters).</exception>
    public async Task ExportAsync(IReadOnlyList<(string fileName, string figureJson)> charts, string directory, CancellationToken ct = default)
    {
        if (charts.Count == 0)
        {
            return;
        }

        if (_launchFailure is not null)
        {
            // Starting the browser failed once: say so again for this chapter without trying again.
            throw _launchFailure;
        }

        if (_export is null || _browser is not { IsConnected: true })
        {
            await DisposeAsync().ConfigureAwait(false);
            try
            {
                _browser = await HeadlessBrowser.LaunchAsync(browserExecutable, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is BrowserNotFoundException or BrowserRunException)
            {
                _launchFailure = e;
                throw;
            }

            _export = new SvgExport(_browser);
        }

        var written = await _export.ExportAsync(charts, directory, ct).ConfigureAwait(false);
        log.WriteLine($"  chart images: wrote {written.Count} SVG file(s) to {directory}");
    }

    /// <summary>Ends the browser (if one was started) and deletes its work folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_export is not null)
        {
            await _export.DisposeAsync().ConfigureAwait(false);
            _export = null;
        }

        if (_browser is not null)
        {
            await _browser.DisposeAsync().ConfigureAwait(false);
            _browser = null;
        }
    }
}
