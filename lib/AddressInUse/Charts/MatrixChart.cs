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
        columns = Math.Min(columns, panels.Count);
        // Wrap rather than overflow the page: a grid cut off at the right edge is a grid the reader never sees.
        while (columns > 1 && WidthFor(columns, HasInnerLabels(panels, columns)) > MaxWidth)
        {
            columns--;
        }
        var gridRows = (panels.Count + columns - 1) / columns;
        var figure = new Figure(name, title);
        var annotations = new JsonArray();
        var layout = figure.Layout;
        var innerLabels = false;

        for (var i = 0; i < panels.Count; i++)
        {
            var panel = panels[i];
            var suffix = i == 0 ? "" : (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            figure.Data.Add(HeatmapTrace(panel, "x" + suffix, "y" + suffix));
            var isBottom = i / columns == gridRows - 1 || i + columns >= panels.Count;
            var isLeft = i % columns == 0;
            layout["xaxis" + suffix] = new JsonObject
            {
                ["type"] = "category",
                ["tickangle"] = -30,
                ["title"] = new JsonObject { ["text"] = isBottom ? columnAxisTitle : "" },
                // The slanted column labels push the axis title down instead of being drawn under it (the ledger's "OS bind()" was).
                ["automargin"] = true,
                ["fixedrange"] = true,
            };
            // Row labels repeat along a grid row; printing them again would run into the grid on the left.
            var leftPanel = panels[i - i % columns];
            var sameRowsAsLeft = !isLeft && panel.Rows.SequenceEqual(leftPanel.Rows);
            innerLabels |= !isLeft && !sameRowsAsLeft;
            layout["yaxis" + suffix] = new JsonObject
            {
                ["type"] = "category",
                // Reversed, so that the first row label is at the top, as in a table.
                ["autorange"] = "reversed",
                ["title"] = new JsonObject { ["text"] = isLeft ? rowAxisTitle : "" },
                ["showticklabels"] = !sameRowsAsLeft,
                // Long row labels (claims, for instance) widen the margin instead of being cut off.
                ["automargin"] = true,
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
        foreach (var kind in Enum.GetValues<MatrixCellKind>().Where(legend.ContainsKey))
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

        var maxRows = panels.Max(p => p.Rows.Count);
        var panelHeight = 70 + 34 * maxRows;
        layout["grid"] = new JsonObject
        {
            ["rows"] = gridRows,
            ["columns"] = columns,
            ["pattern"] = "independent",
            // Wider gaps only where an inner grid prints its own row labels (as long as .NET's "ExclusiveAddressUse").
            ["xgap"] = innerLabels ? 0.5 : 0.1,
            ["ygap"] = gridRows > 1 ? 0.5 : 0.2, // room for the slanted column labels above the next grid's title
        };
        layout["annotations"] = annotations;
        layout["height"] = 180 + gridRows * (panelHeight + 90);
        // An inner grid's own row labels take room from its cells, so the figure grows instead of clipping the errno names.
        layout["width"] = WidthFor(columns, innerLabels);
        layout["margin"] = new JsonObject { ["l"] = 150, ["r"] = 20, ["t"] = 90, ["b"] = 130 };
        // The colour key sits in the bottom margin, below the last axis titles, where no grid can cover it.
        layout["legend"] = new JsonObject { ["orientation"] = "h", ["x"] = 0, ["xanchor"] = "left", ["y"] = 0, ["yanchor"] = "bottom", ["yref"] = "container" };
        layout["plot_bgcolor"] = "#fafafa";
        return figure;
    }

    /// <summary>The figure width for <paramref name="columns"/> panels to a row; an inner grid's own row labels take room from its cells, so it gets wider.</summary>
    private static int WidthFor(int columns, bool innerLabels) => Math.Max(520, 150 + columns * (innerLabels ? 375 : 330));

    /// <summary>Whether some panel that is not first in its grid row has row labels of its own (different from the first panel's).</summary>
    private static bool HasInnerLabels(IReadOnlyList<MatrixPanel> panels, int columns) =>
        Enumerable.Range(0, panels.Count).Any(i => i % columns != 0 && !panels[i].Rows.SequenceEqual(panels[i - i % columns].Rows));

    // Failed 0, LaterStepFailed 1, Ok 2 as before; the kinds added later come after them.
    private static readonly IReadOnlyList<MatrixCellKind> BandOrder =
        [MatrixCellKind.Failed, MatrixCellKind.LaterStepFailed, MatrixCellKind.Ok, MatrixCellKind.Differs, MatrixCellKind.NotMeasured];

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
                // 0 to 4 sit in the five bands of the colour scale below; null leaves the cell blank.
                zRow.Add(cell is null ? null : JsonValue.Create(Band(cell.Kind)));
                textRow.Add(JsonValue.Create(cell?.Text ?? ""));
                hoverRow.Add(JsonValue.Create(cell?.Hover ?? "not measured"));
            }
            z.Add(zRow);
            text.Add(textRow);
            hover.Add(hoverRow);
        }
        // One band per kind, in the order of Band(); each colour fills a fifth of the 0..4 range.
        var scale = new JsonArray();
        foreach (var (kind, band) in BandOrder.Select((k, i) => (k, i)))
        {
            scale.Add(new JsonArray(band / 5.0, Colors[kind]));
            scale.Add(new JsonArray((band + 1) / 5.0, Colors[kind]));
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
            ["textfont"] = new JsonObject { ["color"] = "#ffffff", ["size"] = 10 },
            ["hovertext"] = hover,
            ["hoverinfo"] = "text",
            ["xaxis"] = xAxis,
            ["yaxis"] = yAxis,
        };
    }
}
