namespace Course.Runner.Charts;

/// <summary>Chooses the chart image exporter the runner uses.</summary>
public static class ChartImageExporters
{
    /// <summary>The exporter for a run: the course library's SVG exporter (headless Chromium).</summary>
    public static IChartImageExporter Default(TextWriter log) => new SvgChartImageExporter(log);
}

/// <summary>Writes chart images with the course library's exporter, AddressInUse.Charts.SvgExport (plotly.js in headless Chromium).</summary>
public sealed class SvgChartImageExporter(TextWriter log) : IChartImageExporter
{
    /// <inheritdoc />
    /// <exception cref="AddressInUse.Charts.BrowserNotFoundException">No Chromium-family browser is installed.</exception>
    public async Task ExportAsync(IReadOnlyList<(string fileName, string figureJson)> charts, string directory)
    {
        if (charts.Count == 0)
        {
            return;
        }

        var written = await AddressInUse.Charts.SvgExport.ExportAsync(charts, directory).ConfigureAwait(false);
        log.WriteLine($"  chart images: wrote {written.Count} SVG file(s) to {directory}");
    }
}
