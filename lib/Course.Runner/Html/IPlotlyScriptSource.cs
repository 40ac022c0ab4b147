namespace Course.Runner.Html;

/// <summary>Supplies the plotly.js source that chapter pages inline (once per page) so charts draw offline.</summary>
public interface IPlotlyScriptSource
{
    /// <summary>The plotly.js source, or null when none is available (figures are then shown as data).</summary>
    string? Script { get; }
}

/// <summary>Reads plotly.js from the course library's embedded bundle (AddressInUse.Charts.PlotlyBundle.Script).</summary>
public sealed class LibraryPlotlyScriptSource : IPlotlyScriptSource
{
    /// <inheritdoc />
    public string? Script => AddressInUse.Charts.PlotlyBundle.Script;
}

/// <summary>A fixed plotly.js source (tests use a tiny stand-in script).</summary>
public sealed class FixedPlotlyScriptSource(string? script) : IPlotlyScriptSource
{
    /// <inheritdoc />
    public string? Script { get; } = script;
}
