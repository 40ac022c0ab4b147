namespace Course.Runner.Charts;

/// <summary>Turns plotly figures into image files (the course's SVGs under images/&lt;os&gt;/); created once per run and disposed at its end.</summary>
public interface IChartImageExporter : IAsyncDisposable
{
    /// <summary>Writes one image per chart into the directory, named by fileName (e.g. "01-address-already-in-use-restart-timeline.svg").</summary>
    Task ExportAsync(IReadOnlyList<(string fileName, string figureJson)> charts, string directory, CancellationToken ct = default);
}

/// <summary>The stand-in used when no exporter is available: it only says so.</summary>
public sealed class NoOpChartImageExporter(TextWriter log) : IChartImageExporter
{
    /// <summary>The message printed instead of exporting.</summary>
    public const string Message = "chart images: exporter not available yet";

    /// <inheritdoc />
    public Task ExportAsync(IReadOnlyList<(string fileName, string figureJson)> charts, string directory, CancellationToken ct = default)
    {
        if (charts.Count > 0)
        {
            log.WriteLine($"{Message} ({charts.Count} chart(s) not written to {directory})");
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
