using System.Text.Json.Nodes;

namespace AddressInUse.Charts;

/// <summary>How one cell of an outcome grid came out, which decides its colour.</summary>
public enum MatrixCellKind
{
    /// <summary>Every step succeeded (green).</summary>
    Ok,
    /// <summary>The first step succeeded but a later one failed, e.g. bind ok, listen refused (orange).</summary>
    LaterStepFailed,
    /// <summary>The first step failed, e.g. bind refused (red).</summary>
    Failed,
    /// <summary>A difference that is nobody's error, e.g. a claims-ledger verdict on a path the claim never described (blue).</summary>
    Differs,
    /// <summary>Could not be measured here, drawn grey and named in the legend rather than left blank.</summary>
    NotMeasured,
    /// <summary>True only under a condition, e.g. a claims-ledger "holds only when…" (olive: not the orange of a refused later step).</summary>
    Conditional,
}

/// <summary>One cell of an outcome grid.</summary>
/// <param name="Kind">How it came out.</param>
/// <param name="Text">The short text printed in the cell ("ok", "EADDRINUSE").</param>
/// <param name="Hover">The longer text shown on hover (errno number, steps, read-backs).</param>
public sealed record MatrixCell(MatrixCellKind Kind, string Text, string Hover);

/// <summary>One grid of the chart: rows by columns of cells; a null cell was not measured and stays blank.</summary>
/// <param name="Title">The grid's title, e.g. the holder.</param>
/// <param name="Rows">Row labels, top to bottom.</param>
/// <param name="Columns">Column labels, left to right.</param>
/// <param name="Cells">Cells[row][column].</param>
public sealed record MatrixPanel(string Title, IReadOnlyList<string> Rows, IReadOnlyList<string> Columns, IReadOnlyList<IReadOnlyList<MatrixCell?>> Cells);

/// <summary>Draws outcome grids (one heatmap per panel, side by side) with a fixed colour per outcome kind.</summary>
public static class MatrixChart
{
    /// <summary>The colour of each outcome kind: green ok, orange for a later step refused, red for a refused first step.</summary>
    public static IReadOnlyDictionary<MatrixCellKind, string> Colors { get; } = new Dictionary<MatrixCellKind, string>
    {
        [MatrixCellKind.Ok] = "#2e7d32",
        [MatrixCellKind.LaterStepFailed] = "#ef6c00",
        [MatrixCellKind.Failed] = "#c62828",
        [MatrixCellKind.Differs] = "#1565c0",
        [MatrixCellKind.NotMeasured] = "#9e9e9e",
        [MatrixCellKind.Conditional] = "#827717",
    };

    /// <summary>What the legend says for each outcome kind.</summary>
    public static IReadOnlyDictionary<MatrixCellKind, string> Legend { get; } = new Dictionary<MatrixCellKind, string>
    {
        [MatrixCellKind.Ok] = "bind and listen ok",
        [MatrixCellKind.LaterStepFailed] = "bind ok, listen refused",
        [MatrixCellKind.Failed] = "bind refused",
    };

    /// <summary>The widest a figure may be, in px: the course pages' text column (60rem, less its 1.25rem padding each side), with room to spare.</summary>
    public const int MaxWidth = 900;

    /// <summary>Builds a figure with one heatmap per panel, <paramref name="columns"/> panels to a row (fewer when that many would not fit <see cref="MaxWidth"/>).</summary>
    /// <param name="name">The figure's slug (names its image files).</param>
    /// <param name="title">The figure title.</param>
    /// <param name="panels">The grids, in reading order.</param>
    /// <param name="rowAxisTitle">What the rows are, e.g. "first socket's options".</param>
    /// <param name="columnAxisTitle">What the columns are, e.g. "second socket's options".</param>
    /// <param name="columns">Panels per row of the figure.</param>
    /// <param name="legend">Legend text per kind, or null for <see cref="Legend"/>.</param>
    public static Figure Build(
        string name,
        string title,
        IReadOnlyList<MatrixPanel> panels,
        string rowAxisTitle,
        string columnAxisTitle,
        int columns = 3,
        IReadOnlyDictionary<MatrixCellKind, string>? legend = null)
    {
        ArgumentNullException.ThrowIfNull(panels);
        if (panels.Count == 0)
        {
            throw new ArgumentException($"Matrix chart '{name}' needs at least one panel; the selection matched no measured case.", nameof(panels));
        }
        if (columns < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, "Use at least one panel per row.");
        }
        foreach (var panel in panels)
        {
            if (panel.Cells.Count != panel.Rows.Count || panel.Cells.Any(r => r.Count != panel.Columns.Count))
            {
                throw new ArgumentException(
                    $"Panel '{panel.Title}' has {panel.Rows.Count} rows × {panel.Columns.Count} columns of labels but cells of another shape; give one cell (or null) per label pair.",
                    nameof(panels));
            }
        }
        legend ??= Legend;
        // Sizes in px, from the longest texts: every cell fits its text ("EADDRINUSE") and every grid prints its own row labels.
        var cellWidth = Math.Max(MinCellWidth, CellTextPx * panels.SelectMany(p => p.Cells).SelectMany(r => r).Max(c => c?.Text.Length ?? 0) + CellPadding);
        var maxCells = panels.Max(p => p.Columns.Count);
        columns = Math.Min(columns, panels.Count);
        // Wrap rather than overflow the page: a grid cut off at the right edge is a grid the reader never sees.
        while (columns > 1 && WidthFor(columns, LabelWidths(panels, columns), cellWidth * maxCells) > MaxWidth)
        {
            columns--;
        }
        var labelWidths = LabelWidths(panels, columns);
        var gridRows = (panels.Count + columns - 1) / columns;
        var maxRows = panels.Max(p => p.Rows.Count);
        // Room for the tallest row label (a claim wraps over lines).
        var rowHeight = Math.Max(RowHeight, 12 + 15 * panels.SelectMany(p => p.Rows).Max(r => r.Split("<br>").Length));
        var panelHeight = rowHeight * maxRows;
        var width = WidthFor(columns, labelWidths, cellWidth * maxCells);
        var plotWidth = (double)(width - MarginLeft - MarginRight);
        var height = MarginTop + gridRows * (PanelTitleHeight + panelHeight + ColumnLabelsHeight) + MarginBottom;
        var plotHeight = (double)(height - MarginTop - MarginBottom);
        var figure = new Figure(name, title);
        var annotations = new JsonArray();
        var layout = figure.Layout;

        for (var i = 0; i < panels.Count; i++)
        {
            var panel = panels[i];
            var suffix = i == 0 ? "" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            figure.Data.Add(HeatmapTrace(panel, "x" + suffix, "y" + suffix));
            var gridRow = i / columns;
            var gridColumn = i % columns;
            var isBottom = gridRow == gridRows - 1 || i + columns >= panels.Count;
            var isLeft = gridColumn == 0;
            // Each grid's cells start after room for its own row labels; a grid with fewer columns keeps the same cell width.
            var left = labelWidths.Take(gridColumn).Sum() + gridColumn * (cellWidth * maxCells + PanelGap) + labelWidths[gridColumn];
            var top = gridRow * (PanelTitleHeight + panelHeight + ColumnLabelsHeight) + PanelTitleHeight;
            layout["xaxis" + suffix] = new JsonObject
            {
                ["type"] = "category",
                ["tickangle"] = -30,
                ["title"] = new JsonObject { ["text"] = isBottom ? columnAxisTitle : "" },
                ["domain"] = new JsonArray(Fraction(left, plotWidth), Fraction(left + cellWidth * panel.Columns.Count, plotWidth)),
                ["anchor"] = "y" + suffix,
                ["fixedrange"] = true,
            };
            layout["yaxis" + suffix] = new JsonObject
            {
                ["type"] = "category",
                // Reversed, so that the first row label is at the top, as in a table.
                ["autorange"] = "reversed",
                ["title"] = new JsonObject { ["text"] = isLeft ? rowAxisTitle : "" },
                // Every grid names its rows: a reader looking at the right-hand grid should not have to count across.
                ["showticklabels"] = true,
                ["domain"] = new JsonArray(Fraction(plotHeight - top - panelHeight, plotHeight), Fraction(plotHeight - top, plotHeight)),
                ["anchor"] = "x" + suffix,
                ["automargin"] = isLeft,
                ["fixedrange"] = true,
            };
            annotations.Add(new JsonObject
            {
                ["text"] = $"<b>{System.Net.WebUtility.HtmlEncode(panel.Title)}</b>",
                ["xref"] = $"x{suffix} domain",
                ["yref"] = $"y{suffix} domain",
                ["x"] = 0.5,
                ["y"] = 1.0,
                ["xanchor"] = "center",
                ["yanchor"] = "bottom",
                ["showarrow"] = false,
                ["font"] = new JsonObject { ["size"] = 13 },
            });
        }

        // Heatmaps have no legend entries of their own: one invisible marker trace per kind gives the colour key.
        foreach (var kind in legend.Keys) // in the order the caller listed them
        {
            figure.Data.Add(new JsonObject
            {
                ["type"] = "scatter",
                ["mode"] = "markers",
                ["name"] = legend[kind],
                ["x"] = new JsonArray((JsonNode?)null),
                ["y"] = new JsonArray((JsonNode?)null),
                ["marker"] = new JsonObject { ["color"] = Colors[kind], ["size"] = 12, ["symbol"] = "square" },
                ["showlegend"] = true,
                ["hoverinfo"] = "skip",
            });
        }

        // Kept for readers of the figure JSON (and tests): how the grids are arranged; the axes' own domains place them.
        layout["grid"] = new JsonObject { ["rows"] = gridRows, ["columns"] = columns, ["pattern"] = "independent" };
        layout["annotations"] = annotations;
        layout["height"] = height;
        layout["width"] = width;
        layout["margin"] = new JsonObject { ["l"] = MarginLeft, ["r"] = MarginRight, ["t"] = MarginTop, ["b"] = MarginBottom };
        // The colour key sits in the bottom margin, below the last axis titles, where no grid can cover it.
        layout["legend"] = new JsonObject { ["orientation"] = "h", ["x"] = 0, ["xanchor"] = "left", ["y"] = 0, ["yanchor"] = "bottom", ["yref"] = "container" };
        layout["plot_bgcolor"] = "#fafafa";
        return figure;
    }

    // Text widths are estimates for plotly's default sans-serif (upper case, the widest): 9 px cell text, 12 px tick labels.
    private const int CellFontSize = 9;
    private const double CellTextPx = 6.2;
    private const double LabelTextPx = 7.0;
    private const int CellPadding = 8;
    private const int MinCellWidth = 44;
    private const int RowHeight = 34;
    private const int PanelGap = 24;
    private const int PanelTitleHeight = 26;
    private const int ColumnLabelsHeight = 96; // the slanted column labels and, under the last grid, the axis title
    private const int MarginLeft = 40; // the row axis title; row labels sit inside the plot area, before their grid's cells
    private const int MarginRight = 20;
    private const int MarginTop = 96;
    private const int MarginBottom = 70;

    /// <summary>The figure width for <paramref name="columns"/> grids to a row: each grid column's row labels, its cells, and the gaps.</summary>
    private static int WidthFor(int columns, IReadOnlyList<double> labelWidths, double cellsWidth) =>
        (int)Math.Ceiling(Math.Max(520, MarginLeft + MarginRight + labelWidths.Sum() + columns * cellsWidth + (columns - 1) * PanelGap));

    /// <summary>For each column of grids, the room its longest row label needs.</summary>
    private static double[] LabelWidths(IReadOnlyList<MatrixPanel> panels, int columns) =>
        Enumerable.Range(0, columns)
            .Select(c => LabelTextPx * panels.Where((_, i) => i % columns == c).SelectMany(p => p.Rows).Max(LongestLine) + 14)
            .ToArray();

    /// <summary>The length of a label's longest line (a label may break lines with &lt;br&gt;).</summary>
    private static int LongestLine(string label) => label.Split("<br>").Max(line => line.Length);

    private static double Fraction(double px, double total) => Math.Round(Math.Clamp(px / total, 0, 1), 4);

    // Failed 0, LaterStepFailed 1, Ok 2 as before; the kinds added later come after them.
    private static readonly IReadOnlyList<MatrixCellKind> BandOrder =
        [MatrixCellKind.Failed, MatrixCellKind.LaterStepFailed, MatrixCellKind.Ok, MatrixCellKind.Differs, MatrixCellKind.NotMeasured, MatrixCellKind.Conditional];

    private static int Band(MatrixCellKind kind) => BandOrder.ToList().IndexOf(kind);

    private static JsonObject HeatmapTrace(MatrixPanel panel, string xAxis, string yAxis)
    {
        var z = new JsonArray();
        var text = new JsonArray();
        var hover = new JsonArray();
        foreach (var row in panel.Cells)
        {
            var zRow = new JsonArray();
            var textRow = new JsonArray();
            var hoverRow = new JsonArray();
            foreach (var cell in row)
            {
                // 0 to 5 sit in the six bands of the colour scale below; null leaves the cell blank.
                zRow.Add(cell is null ? null : JsonValue.Create(Band(cell.Kind)));
                textRow.Add(JsonValue.Create(cell?.Text ?? ""));
                hoverRow.Add(JsonValue.Create(cell?.Hover ?? "not measured"));
            }
            z.Add(zRow);
            text.Add(textRow);
            hover.Add(hoverRow);
        }
        // One band per kind, in the order of Band(); each colour fills an equal share of the 0..(kinds - 1) range.
        var scale = new JsonArray();
        double bands = BandOrder.Count;
        foreach (var (kind, band) in BandOrder.Select((k, i) => (k, i)))
        {
            scale.Add(new JsonArray(band / bands, Colors[kind]));
            scale.Add(new JsonArray((band + 1) / bands, Colors[kind]));
        }
        return new JsonObject
        {
            ["type"] = "heatmap",
            ["name"] = panel.Title,
            ["x"] = Traces.Strings(panel.Columns),
            ["y"] = Traces.Strings(panel.Rows),
            ["z"] = z,
            ["zmin"] = 0,
            ["zmax"] = BandOrder.Count - 1,
            ["colorscale"] = scale,
            ["showscale"] = false,
            ["xgap"] = 2,
            ["ygap"] = 2,
            ["text"] = text,
            ["texttemplate"] = "%{text}",
            ["textfont"] = new JsonObject { ["color"] = "#ffffff", ["size"] = CellFontSize },
            ["hovertext"] = hover,
            ["hoverinfo"] = "text",
            ["xaxis"] = xAxis,
            ["yaxis"] = yAxis,
        };
    }
}
